// The cluster view as the HTTP routes read it: the cluster actor writes a copy on every
// change and heartbeat tick; /health and /api/v1/stats read it without asking an actor.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "actors/coordinator_actor.hpp"
#include "messages/cluster.hpp"

namespace sb::cluster {

class cluster_board {
public:
  // `members`: this node first, then the others in name order.
  void update(std::vector<member_info> members);
  std::vector<member_info> members() const;
  // The address cluster_listen is bound to, when it differs from the advertised one
  // ([cluster] advertise); shown as "listen".
  void set_listen(std::string address);
  // With [cluster] coordinator: its state ("ok", "degraded", "error") and the reason, as
  // the coordinator actor last reported; shown as "coordinator": {state, reason}.
  // For /health: coordinator() returns it (state "" when there is no coordinator).
  void set_coordinator(coordinator_health h);
  coordinator_health coordinator() const;
  // The "cluster" object of /health and /api/v1/stats:
  // {"self", "size", "up", "listen"?, "coordinator"?: {state, reason}, "members": [{name, address, state, active_calls, capacity,
  //  draining, last_heard_ms, down_reason?}]}
  std::string json() const;

private:
  mutable std::mutex mutex_;
  std::vector<member_info> members_;
  std::string listen_;
  coordinator_health coordinator_{"", ""};
};

} // namespace sb::cluster
