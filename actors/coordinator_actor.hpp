// The coordinator actor: one per node when [cluster] coordinator is set. It holds, in an
// external store (actors/home_lease_store.hpp; Redis in production), the home lease of
// every pool this node's fronts say they are the home of by the view, renews them every
// renew_interval and tells each front whether it holds its lease, until when, and from
// when it may grant (a fresh claim waits recovery = lease_ttl + lease_margin, so every
// lease a former home granted has expired or been fenced). A front grants from the full
// limit only while it holds the lease (docs/design/cluster-leases.md, H10-H12).
// Its store calls block: spawn it detached in production.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/home_lease_store.hpp"
#include "messages/coordinator.hpp"
#include "messages/pool_cluster.hpp"

namespace sb {

// What /health shows about the coordinator: state "ok", "degraded" (the store is
// unreachable or slow but every lease this node holds is still valid) or "error" (the
// store is unreachable and this node lost, or never got, a lease it wants: those pools
// grant only their local share), with the reason.
struct coordinator_health {
  std::string state = "ok";
  std::string reason;
};

struct coordinator_config {
  std::shared_ptr<home_lease_store> store;
  std::string owner;  // this node's name and incarnation: "NAME/INCARNATION"
  std::chrono::milliseconds ttl{10000};           // the lease's expiry in the store
  std::chrono::milliseconds renew_interval{1000};
  std::chrono::milliseconds recovery{12000};      // after a fresh claim: no grant before
  std::chrono::milliseconds slow{500};            // a store call slower than this: degraded
  // Called from the actor on every change of the health.
  std::function<void(const coordinator_health&)> report;
};

coordinator_actor spawn_coordinator(caf::actor_system& sys, coordinator_config cfg,
                                    bool detached = true);

} // namespace sb
