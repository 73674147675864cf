// State of the cluster actor (cluster_actor.hpp). Private to actors/cluster.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/node_id.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "messages/cluster.hpp"
#include "messages/cluster_actor.hpp"
#include "actors/cluster/cluster_actor.hpp"

namespace sb::cluster {

// Times are on the actor clock (self->clock().now()): virtual time under the test
// coordinator, the steady clock otherwise.
using steady = caf::actor_clock;

struct peer {
  member_info info;
  cluster_actor handle;  // invalid while down
  steady::time_point last_heard;
  bool left = false;  // said goodbye: not retried (it rejoins by itself)
  pool_fronts fronts;        // its pool fronts, once it answered pool_fronts_atom
  bool fronts_known = false;
  bool fronts_asked = false;  // a pool_fronts_atom request is in flight
};

// A hello we answered: the joiner must prove the secret on `nonce` next.
struct challenge {
  std::string nonce;
  cluster_hello hello;
  steady::time_point at;
};

struct cluster_state {
  static inline const char* name = "cluster";
  cluster_options o;
  std::map<std::string, peer> peers;             // by name; never this node
  std::map<caf::node_id, challenge> challenges;  // by the joiner's CAF node
  std::map<caf::node_id, std::string> trusted;   // node -> member name, or "" (console)
  std::set<std::string> connecting;              // addresses with a join in flight
  std::map<std::string, steady::time_point> next_try;
  bool joined = false;    // accepted by a member, or nobody to join
  bool fatal_sent = false;
  console_actor console;
  std::map<std::string, std::string> pool_views;  // last view sent to each front (digest)
  std::optional<steady::time_point> last_tick;     // the heartbeat timer's last run

  member_info self_info() const;
  // This node first, then the peers by name, with last_heard_ms filled in.
  std::vector<member_info> view(steady::time_point now) const;
  std::chrono::milliseconds retry_interval() const;
};

using cluster_actor_t = cluster_actor::stateful_base<cluster_state>;

// Mark a member down (no-op when it already is); `why` goes to the log and the view.
void mark_down(cluster_actor_t* self, peer& p, const std::string& why);
// Start joining the node at `address` (HOST:PORT) unless a join is in flight or was tried
// less than retry_interval ago.
void join_address(cluster_actor_t* self, const std::string& address);
// Record a member that proved the secret (joined us, or welcomed us).
void admit(cluster_actor_t* self, const member_info& info, cluster_actor handle);
void publish_view(cluster_actor_t* self);
// cluster_pools.cpp: asks a member for its pool fronts; tells the local fronts who is up.
void fetch_fronts(cluster_actor_t* self, const std::string& name);
void push_pool_views(cluster_actor_t* self);

} // namespace sb::cluster
