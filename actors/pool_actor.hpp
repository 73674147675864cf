// The provider pool: grants leases on a provider's API keys up to their limits, queues
// further requests FIFO with per-request deadlines, monitors holders and waiters, learns
// from 429s and runs a circuit breaker. Protocol and errors: messages/pool.hpp;
// behaviour: docs/pools.md. Lives on CAF's scheduler and never blocks; all time comes from
// the actor system's clock (virtual under the test coordinator).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>

#include "messages/pool.hpp"
#include "messages/pool_cluster.hpp"

namespace sb {

// What is wrong with a pool config, one line each; empty when it is valid.
std::vector<std::string> validate(const pool_config& cfg);

// Spawns a pool. Validate the config first: invalid values are clamped, not reported.
// Stop it with an exit message (e.g. exit_reason::user_shutdown): waiters then get
// pool_errc::shutting_down.
pool_actor spawn_pool(caf::actor_system& sys, pool_config cfg);

// How the engine of a cluster-wide pool counts leases held by other nodes' fronts
// (docs/design/cluster-leases.md). A lease held by anyone but `owner` (the home front,
// in the engine's own process) stays counted until it is released, `ttl` + `margin`
// have passed since it was granted or last renewed (pool_renew), or `margin` has passed
// since its holder's link closed (down_msg: a lock-delay, for a link reset under a live
// holder). ttl 0: leases never expire and a holder's down_msg frees them at once
// (node-local pools, tests of other things).
struct lease_expiry {
  caf::actor_addr owner;
  std::string node;  // this node's name, in renewal answers
  std::chrono::milliseconds ttl{0};
  std::chrono::milliseconds margin{0};
  uint64_t coord_epoch = 0;  // the home lease it grants under, echoed in renewal answers
  uint64_t incarnation = 0;  // this process' (random per start), in renewal answers
};

// The same pool with its takeover interface (pool_adopt) and lease renewal (pool_renew),
// as a pool front drives it.
pool_engine spawn_pool_engine(caf::actor_system& sys, pool_config cfg,
                              lease_expiry expiry = {});

} // namespace sb
