// Wiring the coordinator into a node ([cluster] coordinator = redis://HOST:PORT): the
// Redis store (net/redis), the coordinator actor (actors/coordinator_actor.hpp) on its
// own thread, its health on the cluster board (/health and /api/v1/stats show it as
// cluster.coordinator). Used by runtime/node.cpp.
#pragma once

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "messages/config.hpp"
#include "messages/pool_cluster.hpp"
#include "runtime/cluster/cluster_board.hpp"

namespace sb::cluster {

// The coordinator actor, or an invalid handle when none is configured. Its health goes
// to `board` (cluster_board::coordinator()).
coordinator_actor start_coordinator(caf::actor_system& sys, const node_config& cfg,
                             std::shared_ptr<cluster_board> board);

} // namespace sb::cluster
