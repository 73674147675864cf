#include "runtime/cluster/coordinator_node.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/coordinator_actor.hpp"
#include "net/redis/redis_home_store.hpp"

namespace sb::cluster {

coordinator_actor start_coordinator(caf::actor_system& sys, const node_config& cfg,
                             std::shared_ptr<cluster_board> board) {
  const auto& cl = cfg.cluster;
  if (cl.coordinator.empty()) {
    if (!cl.seeds.empty() && !cl.static_shares())
      spdlog::warn("cluster: no [cluster] coordinator: in a network split each side with "
                   "several nodes elects a home that grants the whole provider limit; set "
                   "coordinator = redis://HOST:PORT, or pool_limits = shares with a "
                   "local_share per node (docs/design/cluster-leases.md)");
    return {};
  }
  // redis://HOST:PORT, checked when the config was loaded.
  std::string host;
  uint16_t port = 0;
  redis_connection::parse_url(cl.coordinator, host, port);
  // A store call may take half a renewal interval before it counts as failed.
  auto timeout = std::clamp(cl.lease_renew_interval / 2, std::chrono::milliseconds{50},
                            std::chrono::milliseconds{2000});
  std::random_device rd;
  char incarnation[17];
  std::snprintf(incarnation, sizeof incarnation, "%08x%08x", rd(), rd());
  coordinator_config c;
  c.store = std::make_shared<redis_home_store>(host, port, timeout);
  c.owner = cfg.node.name + "/" + incarnation;
  c.ttl = cl.lease_ttl;
  c.renew_interval = cl.lease_renew_interval;
  c.recovery = cl.lease_ttl + cl.lease_margin;
  c.slow = timeout / 2;
  c.report = [board](const coordinator_health& h) { board->set_coordinator(h); };
  board->set_coordinator(coordinator_health{"ok", "waiting for the first answer"});
  spdlog::info("cluster: pool homes hold their lease in {} (owner {})", c.store->where(),
               c.owner);
  return spawn_coordinator(sys, std::move(c), true);
}

} // namespace sb::cluster
