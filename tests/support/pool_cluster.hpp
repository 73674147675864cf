// Integration-test helpers for cluster-wide pools: the provider simulator and N nodes on
// loopback pointed at it, sharing one set of API keys; callers placed on each node from
// their own threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cluster.hpp"

namespace sb::test {

// Every node of `nodes` listed in `which` sees exactly those up, and all name one home
// for `pool` (returned in `home`).
bool cluster_settled(const std::vector<cluster_node>& nodes, const std::vector<size_t>& which,
                     const std::string& pool, std::string& home);

struct pool_cluster {
  std::string dir;
  child sim;
  uint16_t sim_port = 0;
  std::vector<cluster_node> nodes;
  // `n` nodes (the first is the seed) with `sets` on top of the cluster settings.
  pool_cluster(size_t n, const std::vector<std::string>& sim_flags,
               const std::vector<std::string>& sets);
  // Whether every node in `which` is up with exactly these members and names the same
  // home for `pool`; that home in `home`.
  bool settled(const std::vector<size_t>& which, const std::string& pool, std::string& home);
  size_t index_of(const std::string& name) const;
  // "pools" of /api/v1/stats/pool on node i.
  nlohmann::json pool_detail(size_t i, const std::string& pool);
};

// `calls` callers against one node, run on their own thread: `turns` utterances each
// (20 ms apart at the start), hanging up after `longest` at the latest.
class call_runner {
public:
  call_runner(uint16_t port, int calls, int turns = 1,
              std::chrono::milliseconds longest = std::chrono::seconds{110});
  ~call_runner();
  // Waits for the callers; returns the turns answered.
  int join();

  // Waits for the callers; returns the turns spoken.
  int spoken();

private:
  std::thread thread_;
  int answered_ = 0;
  int spoken_ = 0;
  bool joined_ = false;
};

} // namespace sb::test
