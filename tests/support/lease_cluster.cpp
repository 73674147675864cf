#include "tests/support/lease_cluster.hpp"

#include <stdexcept>

#include "tests/support/pool_cluster.hpp"

namespace sb::test {

lease_cluster::lease_cluster(const std::vector<std::string>& sim_flags,
                             const std::vector<std::string>& sets,
                             const std::vector<std::vector<std::string>>& extra, bool routed)
  : dir(temp_dir("sb-leases")) {
  sim_port = start_sim(dir, sim_flags, sim);
  if (routed)
    proxy = std::make_unique<link_proxy>();
  auto p = std::to_string(sim_port);
  auto all = sets;
  all.push_back("stt.url=ws://127.0.0.1:" + p);
  all.push_back("llm.url=http://127.0.0.1:" + p + "/v1");
  all.push_back("tts.url=http://127.0.0.1:" + p);
  std::vector<std::string> env{"DEEPGRAM_API_KEY=test-dg", "OPENAI_API_KEY=test-oa",
                               "ELEVENLABS_API_KEY=test-el"};
  for (size_t i = 0; i < extra.size(); ++i) {
    auto node_sets = all;
    node_sets.insert(node_sets.end(), extra[i].begin(), extra[i].end());
    if (proxy)
      node_sets.push_back("cluster.advertise=127.0.0.1:" +
                          std::to_string(proxy->front(name(i))));
    auto seed = i == 0 ? std::string{} : nodes[0].cluster_address;
    nodes.push_back(start_cluster_node(dir, name(i), seed, 0, node_sets, env));
    if (!proxy)
      continue;
    // The bound cluster_listen, shown because it differs from the advertised address.
    auto listen = get_json(nodes.back().http_port, "/api/v1/stats")["cluster"].value(
      "listen", std::string{});
    auto colon = listen.rfind(':');
    if (colon == std::string::npos)
      throw std::runtime_error(name(i) + " shows no cluster listen address; see " +
                               nodes.back().log_path);
    proxy->target(name(i), "127.0.0.1",
                  static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))),
                  nodes.back().proc.pid());
  }
}

nlohmann::json lease_cluster::stt_pool(size_t i) {
  return get_json(nodes[i].http_port, "/api/v1/stats/pool")["pools"]["stt"];
}

nlohmann::json lease_cluster::sim_stt() {
  auto j = get_json(sim_port, "/sim/stats")["stt"]["test-dg"];
  return j.is_object() ? j : nlohmann::json::object();  // no stream opened yet
}

bool lease_cluster::settled(const std::vector<size_t>& which, const std::string& home) {
  std::string seen;
  return cluster_settled(nodes, which, "stt", seen) && seen == home;
}

std::string lease_cluster::logs() const {
  std::string out;
  for (auto& n : nodes)
    out += "--- " + n.name + "\n" + n.log();
  return out;
}

int64_t ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now() - t)
    .count();
}

} // namespace sb::test
