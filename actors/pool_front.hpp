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

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "messages/pool.hpp"
#include "messages/pool_cluster.hpp"

namespace sb {

struct pool_front_config {
  pool_config pool;           // the engine's config; max_active is the per-key limit
  uint32_t local_share = 0;   // per key while alone in a cluster; 0 = max_active
  std::string node;           // this node's name
  bool clustered = false;     // seeds configured: alone at start means not joined yet
  // Lease expiry across nodes (docs/design/cluster-leases.md); lease_ttl 0 = off.
  // As the home: another node's lease stays counted until released, lease_ttl +
  // lease_margin passed since it was granted or last renewed, or lease_margin passed
  // since its holder's link closed.
  // As a holder: all leases held at a remote home are renewed in one message every
  // renew_interval; a lease not renewed within lease_ttl (less 1% for clock rate drift)
  // of the renewal's sending is revoked: its call closes the stream. When the link to the
  // home closes, leases not confirmed by a new home within lease_margin / 2 are revoked.
  std::chrono::milliseconds lease_ttl{0};
  std::chrono::milliseconds renew_interval{1000};
  std::chrono::milliseconds lease_margin{2000};
  // One home at a time (actors/coordinator_actor.hpp): when set, this node grants from
  // the full limit only while it holds the pool's home lease; as a home without it, it
  // serves only its own calls, from local_share (0 = nothing).
  coordinator_actor coordinator{};
  // The home's dead-man switch (without a coordinator): a home whose own timer finds it
  // stalled for this long (less 1%) may have been declared down and replaced meanwhile,
  // so it revokes the streams its engine granted to its own calls and rebuilds. The node
  // sets failure_timeout - heartbeat_interval; 0 = off.
  std::chrono::milliseconds stall_limit{0};
  // This process' incarnation (random per start; 0 = none), carried in adopt reports and
  // renewals: a home refuses the renewals of a node's earlier incarnation once a later
  // one has reported, and a holder refuses answers of another incarnation of its home.
  uint64_t incarnation = 0;
  // [cluster] pool_limits = shares: this node never uses a home; it grants only
  // local_share to its own calls, whatever the view.
  bool static_share = false;
};

// Spawns a front; it starts as its own home (alone) until the cluster actor sends a
// pool_view. Calls use it as a pool_actor (the handle converts: its interface extends the
// pool's, messages/pool_cluster.hpp). Stop it with an exit message.
pool_front_actor spawn_pool_front(caf::actor_system& sys, pool_front_config cfg);

// The home among `members` for pool `pool` (rendezvous hash; "" when there are none).
std::string pick_pool_home(const std::string& pool, const std::vector<std::string>& members);

} // namespace sb
