// Node-local admission of telephony connections: per-minute call budgets (node, client IP,
// agent), node capacity, draining, and caps on connections that have not sent `start` yet
// ("pending": they hold no call actor and no call slot). Pure code, one instance on the I/O
// thread, the clock passed in.
//
// A connection's life here: upgrade() -> pending -> start() -> a call, or abandon() when it
// closes or times out before start. The client IP's budget is spent at the upgrade, so an
// address that opens connections and never starts uses up only its own budget; the node's
// and the agent's budgets are held by a pending connection and given back if it never
// starts, so a flood of idle connections cannot spend them for everyone.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/admission/ip_cidr.hpp"
#include "net/admission/token_bucket.hpp"

namespace sb::admission {

struct admission_limits {
  uint32_t calls_per_minute = 0;      // 0 = unlimited
  uint32_t per_ip_per_minute = 0;     // 0 = unlimited
  uint32_t per_agent_per_minute = 0;  // 0 = unlimited
  uint32_t pending_per_ip = 100;
  uint32_t pending_max = 1000;
  uint32_t max_calls = 2000;
  std::vector<std::string> trusted_ips;  // CIDR; exempt from the per-IP limits
  std::chrono::milliseconds start_timeout{2000};
};

// Why a connection was refused (an upgrade) or not let become a call (at start).
enum class refusal : uint8_t {
  draining = 0,
  capacity,        // node.max_calls calls already
  node_rate,       // calls_per_minute
  ip_rate,         // per_ip_per_minute
  agent_rate,      // per_agent_per_minute
  pending_ip,      // pending_per_ip connections without start from this address
  pending_total,   // pending_max connections without start on the node
};
constexpr size_t refusal_kinds = 7;
// The label used in stats and metrics: draining, capacity, calls_per_minute,
// per_ip_per_minute, per_agent_per_minute, pending_per_ip, pending_max.
const char* to_string(refusal r);

struct verdict {
  bool admitted = true;
  refusal why = refusal::draining;   // when not admitted
  unsigned status = 0;               // 429 (rate limits) or 503 (capacity, draining)
  std::chrono::seconds retry_after{0};
  std::string error;                 // rate_limited | unavailable
  std::string reason;                // for people
};

// What admission knows about one connection, fixed at the upgrade.
struct caller_key {
  std::string ip;     // client address (see client_address.hpp)
  std::string agent;  // route tag: path segments after /ws/twilio or /ws/exotel
  bool trusted = false;
};

class admission_control {
public:
  explicit admission_control(admission_limits limits);

  caller_key key(std::string ip, std::string agent) const;
  verdict upgrade(const caller_key& k, size_t active_calls, bool draining, time_point now);
  verdict start(const caller_key& k, size_t active_calls, bool draining);
  void abandon(const caller_key& k);

  size_t pending() const { return pending_total_; }
  size_t pending(const std::string& ip) const;
  // Forgets buckets that are full again (bounded memory under many addresses or agents).
  void prune(time_point now);
  size_t tracked() const { return ip_.size() + agent_.size() + pending_ip_.size(); }
  const admission_limits& limits() const { return limits_; }

private:
  verdict refuse(refusal why, std::chrono::milliseconds wait) const;
  token_bucket& bucket(std::unordered_map<std::string, token_bucket>& m,
                       const std::string& key, uint32_t per_minute, time_point now);
  void release(const caller_key& k);         // no longer pending
  void abandon_budgets(const caller_key& k);  // gives back the node and agent tokens

  admission_limits limits_;
  cidr_list trusted_;
  token_bucket node_;
  std::unordered_map<std::string, token_bucket> ip_;
  std::unordered_map<std::string, token_bucket> agent_;
  std::unordered_map<std::string, uint32_t> pending_ip_;
  size_t pending_total_ = 0;
};

} // namespace sb::admission
