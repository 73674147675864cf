// The cluster view as the HTTP routes read it: the cluster actor writes a copy on every
// change and heartbeat tick; /health and /api/v1/stats read it without asking an actor.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "messages/cluster.hpp"

namespace sb::cluster {

class cluster_board {
public:
  // `members`: this node first, then the others in name order.
  void update(std::vector<member_info> members);
  std::vector<member_info> members() const;
  // The "cluster" object of /health and /api/v1/stats:
  // {"self", "size", "up", "members": [{name, address, state, active_calls, capacity,
  //  draining, last_heard_ms, down_reason?}]}
  std::string json() const;

private:
  mutable std::mutex mutex_;
  std::vector<member_info> members_;
};

} // namespace sb::cluster
