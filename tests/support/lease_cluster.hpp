// Integration-test fixture for cluster-wide leases: the provider simulator (the oracle:
// it counts the streams it sees) and N nodes pointed at it, optionally with every
// connection between nodes routed through a link_proxy so a test can cut links.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/cluster.hpp"
#include "tests/support/link_proxy.hpp"

namespace sb::test {

struct lease_cluster {
  std::string dir;
  child sim;
  uint16_t sim_port = 0;
  std::unique_ptr<link_proxy> proxy;  // set when routed
  std::vector<cluster_node> nodes;

  // One node per entry of `extra` (its own --set overrides on top of `sets`), the first
  // the seed of the others. `routed`: each node advertises a front of `proxy`
  // ([cluster] advertise), so nodes reach each other only through it.
  lease_cluster(const std::vector<std::string>& sim_flags, const std::vector<std::string>& sets,
                const std::vector<std::vector<std::string>>& extra, bool routed = false);

  static std::string name(size_t i) { return "node-" + std::to_string(i + 1); }
  // "pools"."stt" of /api/v1/stats/pool on node i.
  nlohmann::json stt_pool(size_t i);
  // The simulator's STT counts for the test key: current, peak, refused, ...
  nlohmann::json sim_stt();
  // Every node in `which` sees exactly `which` up and names `home` for stt.
  bool settled(const std::vector<size_t>& which, const std::string& home);
  std::string logs() const;
};

int64_t ms_since(std::chrono::steady_clock::time_point t);

// The simulator of the partition tests: an STT account of `limit` streams.
inline std::vector<std::string> lease_sim_flags(int limit) {
  return {"--stt-limit", std::to_string(limit), "--stt-idle-timeout", "2500",
          "--tts-ms-per-char", "5"};
}

// Nodes with short cluster timings (failure in 1 s, leases of 4 s + 1 s renewed every
// 500 ms), an STT pool of `limit`, and calls that wait for it as long as they must.
inline std::vector<std::string> lease_node_sets(const std::string& secret, int limit) {
  return {"cluster.secret=" + secret, "cluster.heartbeat_interval=100ms",
          "cluster.failure_timeout=1s", "cluster.lease_ttl=4s",
          "cluster.lease_renew_interval=500ms", "cluster.lease_margin=1s",
          "pool.stt.max_active=" + std::to_string(limit), "pool.stt.queue_timeout=60s",
          "pool.tts.queue_timeout=30s", "node.max_calls=100", "call.stt_buffer=60s"};
}

} // namespace sb::test
