// The provider pool: grants leases on a provider's API keys up to their limits, queues
// further requests FIFO with per-request deadlines, monitors holders and waiters, learns
// from 429s and runs a circuit breaker. Protocol and errors: messages/pool.hpp;
// behaviour: docs/pools.md. Lives on CAF's scheduler and never blocks; all time comes from
// the actor system's clock (virtual under the test coordinator).
#pragma once

#include <string>
#include <vector>

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

// The same pool with its takeover interface (pool_adopt), as a pool front drives it.
pool_engine spawn_pool_engine(caf::actor_system& sys, pool_config cfg);

} // namespace sb
