// The cluster's vocabulary: membership (hello, join, heartbeat, leave), the load each node
// reports, and the debug console's request (its answer: messages/console.hpp). Every type
// here crosses node boundaries and is registered under the same name on every node
// (register.cpp).
//
// Joining (actors/cluster/cluster_actor.cpp; docs/operations.md):
//   joiner -> member   request cluster_hello{role, name, address, incarnation, nonce, settings}
//   member -> joiner   cluster_challenge{nonce', proof = HMAC(secret, "member:" + nonce)}
//   joiner -> member   request cluster_join{proof = HMAC(secret, "join:" + nonce'), self}
//   member -> joiner   cluster_welcome{members}   or an error (cluster_errc)
// Both sides prove the secret; the secret itself never crosses the wire. The member then
// trusts that CAF node (its node id) for heartbeats (members) or console requests (consoles).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/meta/type_name.hpp>

namespace sb {

enum class member_state : uint8_t { up = 0, down = 1 };

inline const char* to_string(member_state s) {
  return s == member_state::up ? "up" : "down";
}

// One node as the cluster sees it. `address` is its cluster_listen HOST:PORT;
// `incarnation` is random per process start, so a restarted node is a new incarnation.
struct member_info {
  std::string name;
  std::string address;
  uint64_t incarnation = 0;
  member_state state = member_state::up;
  std::string down_reason;    // "link closed", "no heartbeat for 1200 ms", "left", ...
  int64_t active_calls = 0;
  int64_t capacity = 0;       // node.max_calls
  bool draining = false;
  int64_t last_heard_ms = 0;  // age of the last heartbeat (0 for the node itself)
};

struct cluster_hello {
  std::string role;           // "member" | "console"
  std::string name;
  std::string address;
  uint64_t incarnation = 0;
  std::string nonce;          // hex; the member proves the secret on it
  int64_t heartbeat_ms = 0;   // must match the member's settings (role member)
  int64_t failure_timeout_ms = 0;
  int64_t lease_ttl_ms = 0;   // must match too: a holder and its home act on them
  int64_t lease_margin_ms = 0;
  std::string coordinator;    // [cluster] coordinator: must match (one home at a time)
  std::string pool_limits;    // [cluster] pool_limits: must match (home or shares)
};

struct cluster_challenge {
  std::string nonce;          // hex; the joiner proves the secret on it
  std::string proof;          // HMAC-SHA256(secret, "member:" + hello.nonce), hex
};

struct cluster_join {
  std::string proof;          // HMAC-SHA256(secret, "join:" + challenge.nonce), hex
  member_info self;
};

struct cluster_welcome {
  std::vector<member_info> members;  // the member's view, itself included
};

// Every heartbeat_interval to every member that is up: the sender's load and whom it knows.
struct cluster_heartbeat {
  member_info self;
  std::vector<member_info> known;
};

// Sent to every member when a node shuts down on purpose.
struct cluster_leave {
  std::string name;
  uint64_t incarnation = 0;
};

// A console command line ("calls node-2", "pool stt"). `forwarded`: sent on by another
// member for a command that names this node; not forwarded again. Answered with a
// console_answer (messages/console.hpp).
struct console_request {
  std::string line;
  bool forwarded = false;
};

enum class cluster_errc : uint8_t {
  bad_secret = 1,         // the proof did not match the cluster secret
  no_challenge = 2,       // join without a preceding hello from that node
  settings_mismatch = 3,  // heartbeat_interval / failure_timeout differ
  name_conflict = 4,      // the joiner uses this node's own name
  not_authorized = 5,     // a request from a node that has not proved the secret
  bad_command = 6,        // unknown console command or bad arguments
  unknown_node = 7,       // the command names a node that is not an up member
  not_found = 8,          // no such call / pool
};

inline const char* to_string(cluster_errc x) {
  switch (x) {
    case cluster_errc::bad_secret: return "bad_secret";
    case cluster_errc::no_challenge: return "no_challenge";
    case cluster_errc::settings_mismatch: return "settings_mismatch";
    case cluster_errc::name_conflict: return "name_conflict";
    case cluster_errc::not_authorized: return "not_authorized";
    case cluster_errc::bad_command: return "bad_command";
    case cluster_errc::unknown_node: return "unknown_node";
    default: return "not_found";
  }
}

constexpr caf::atom_value cluster_error_category = caf::atom("cluster");

inline caf::error make_error(cluster_errc x, std::string detail = "") {
  if (detail.empty())
    return caf::error{static_cast<uint8_t>(x), cluster_error_category};
  return caf::error{static_cast<uint8_t>(x), cluster_error_category,
                    caf::make_message(std::move(detail))};
}

// Internal timers and local queries of the cluster actor.
using cluster_tick_atom = caf::atom_constant<caf::atom("cltick")>;
using cluster_view_atom = caf::atom_constant<caf::atom("clview")>;
using cluster_forward_atom = caf::atom_constant<caf::atom("clforward")>;
using cluster_shutdown_atom = caf::atom_constant<caf::atom("clshutdown")>;
using mailbox_atom = caf::atom_constant<caf::atom("mailbox")>;
constexpr cluster_tick_atom cluster_tick_atom_v{};
constexpr cluster_view_atom cluster_view_atom_v{};
constexpr cluster_forward_atom cluster_forward_atom_v{};
constexpr cluster_shutdown_atom cluster_shutdown_atom_v{};
constexpr mailbox_atom mailbox_atom_v{};

#define SB_INSPECT(type, ...)                                                    \
  template <class Inspector>                                                     \
  typename Inspector::result_type inspect(Inspector& f, type& x) {               \
    return f(caf::meta::type_name(#type), __VA_ARGS__);                          \
  }

SB_INSPECT(member_info, x.name, x.address, x.incarnation, x.state, x.down_reason,
           x.active_calls, x.capacity, x.draining, x.last_heard_ms)
SB_INSPECT(cluster_hello, x.role, x.name, x.address, x.incarnation, x.nonce,
           x.heartbeat_ms, x.failure_timeout_ms, x.lease_ttl_ms, x.lease_margin_ms,
           x.coordinator, x.pool_limits)
SB_INSPECT(cluster_challenge, x.nonce, x.proof)
SB_INSPECT(cluster_join, x.proof, x.self)
SB_INSPECT(cluster_welcome, x.members)
SB_INSPECT(cluster_heartbeat, x.self, x.known)
SB_INSPECT(cluster_leave, x.name, x.incarnation)
SB_INSPECT(console_request, x.line, x.forwarded)

#undef SB_INSPECT

} // namespace sb
