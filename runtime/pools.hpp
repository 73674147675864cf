// The node's provider pools: one per provider (stt, llm, tts), built from [pool.*] and
// [breaker.*], with one key per API key found in the environment. Their stats are polled
// into a board that the HTTP routes read without waiting on an actor.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "messages/config.hpp"
#include "messages/pool.hpp"

namespace prometheus {
class Registry;
}

namespace sb {

// API keys of one provider with their labels (the env var names; never the values).
struct provider_key_set {
  std::vector<std::string> labels;
  std::vector<std::string> values;
};
provider_key_set keys_from_env(const std::string& api_key_env);

pool_config make_pool_config(const std::string& name, provider_kind kind,
                             const pool_section& pool, const breaker_section& breaker,
                             const std::vector<std::string>& labels);

// A pool using more than this share of its capacity makes /health say degraded.
constexpr double pool_degraded_utilization = 0.9;

// The latest stats of every pool, as JSON for /api/v1/stats and /api/v1/stats/pool.
class pool_board {
public:
  void update(std::vector<pool_stats> stats);
  std::string summary_json() const;  // the "pools" object of /api/v1/stats
  std::string detail_json() const;   // /api/v1/stats/pool, with warnings
  // Why /health says degraded: "llm: circuit breaker open" for every pool whose breaker
  // is not closed, "stt: pool over 90 % (...)" for every pool over 90 % of its capacity.
  std::vector<std::string> degraded() const;

private:
  mutable std::mutex mutex_;
  std::vector<pool_stats> stats_;
};

// Warnings for one pool: utilization over 75 %, queue deeper than 10, timeout rate over
// 5 %, breaker open or half-open.
std::vector<std::string> pool_warnings(const pool_stats& s);

// Asks each pool for its stats every `every` and puts them on the board.
using pool_stats_sink = std::function<void(const std::vector<pool_stats>&)>;
caf::actor spawn_pool_poller(caf::actor_system& sys, std::vector<pool_actor> pools,
                             std::shared_ptr<pool_board> board, pool_stats_sink also,
                             std::chrono::milliseconds every);

} // namespace sb
