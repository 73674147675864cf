// The pool front: one per provider pool on every node. Calls talk to it exactly as to a
// pool (the pool_actor interface: acquire, release, cancel, stats), and it takes their
// leases from the pool's home node: the node chosen among the live members by a
// rendezvous hash of the pool name over the member names (the same choice on every node
// with the same view). On the home node the front also runs the pool engine
// (actors/pool_actor.hpp) and serves the other nodes' fronts; when the home changes it
// rebuilds the engine from the leases the live members report before granting more.
// Alone in a cluster (cut off, or before joining) it grants from a local share of the
// limit. Protocol: messages/pool_cluster.hpp; behaviour and guarantees: docs/pools.md.
#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "messages/pool.hpp"

namespace sb {

struct pool_front_config {
  pool_config pool;           // the engine's config; max_active is the per-key limit
  uint32_t local_share = 0;   // per key while alone in a cluster; 0 = max_active
  std::string node;           // this node's name
  bool clustered = false;     // seeds configured: alone at start means not joined yet
};

// Spawns a front; it starts as its own home (alone) until the cluster actor sends a
// pool_view. Calls use actor_cast<pool_actor>(front). Stop it with an exit message.
caf::actor spawn_pool_front(caf::actor_system& sys, pool_front_config cfg);

// The home among `members` for pool `pool` (rendezvous hash; "" when there are none).
std::string pick_pool_home(const std::string& pool, const std::vector<std::string>& members);

} // namespace sb
