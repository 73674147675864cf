// Wiring the cluster into a node: actor-system settings (middleman, TLS, link
// heartbeats), the cluster actor published on node.cluster_listen, the console actor and
// the call registry. Used by runtime/node.cpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "messages/config.hpp"
#include "messages/console.hpp"
#include "messages/pool.hpp"
#include "messages/cluster_actor.hpp"
#include "messages/pool_cluster.hpp"
#include "runtime/cluster/cluster_board.hpp"

namespace sb::cluster {

// Loads the middleman (and the TLS manager when [cluster] tls_* are set) and sets CAF's
// link heartbeat (middleman.heartbeat-interval = heartbeat_interval,
// middleman.connection-timeout = max(failure_timeout, lease_ttl + lease_margin), so a
// silent link never closes before the leases of its node expired): same on every node.
void configure_system(caf::actor_system_config& acfg, const cluster_section& cfg);

struct cluster_deps {
  std::function<int64_t()> active_calls;
  std::function<bool()> draining;
  std::vector<pool_actor> pools;
  std::function<void()> drain;  // the console's `drain`: same as SIGTERM
  pool_fronts fronts;           // the node's pool fronts, by pool name
  uint64_t incarnation = 0;     // this process' (random_incarnation(); 0 = a new one)
  caf::actor transcripts;       // the transcript store's writer: the console's ended calls
};

// A random incarnation for this process start: the membership's and the lease messages'.
uint64_t random_incarnation();

struct cluster_runtime {
  cluster_actor cluster;
  call_registry_actor calls;  // register each call with (put_atom, session, actor)
  std::shared_ptr<cluster_board> board = std::make_shared<cluster_board>();
  std::string address;  // advertised HOST:PORT ("" when not listening)
  // Set when the cluster refused this node (wrong secret, other timing); the node then
  // receives SIGTERM and should exit non-zero with this message.
  std::shared_ptr<std::string> refused = std::make_shared<std::string>();
  std::shared_ptr<std::atomic<bool>> refused_flag = std::make_shared<std::atomic<bool>>(false);
};

// Spawns and publishes. Returns false with `error` when the node must not start (cannot
// listen while seeds are configured).
bool start_cluster(caf::actor_system& sys, const node_config& cfg, cluster_deps deps,
                   cluster_runtime& out, std::string& error);

// Says goodbye to the members (they mark this node down: "left") and stops the actors.
void stop_cluster(caf::actor_system& sys, cluster_runtime& rt);

// Planned leave, before stop_cluster: every front that is its pool's home hands its lease
// table (and, with a coordinator, its home lease) to the next home by the view
// (docs/design/cluster-leases.md, H15). Waits up to 2 s per pool.
void hand_over_pools(caf::actor_system& sys, const std::vector<pool_front_actor>& fronts);

} // namespace sb::cluster
