#include "tests/support/pool_cluster.hpp"

#include <stdexcept>

#include "tools/caller/caller_engine.hpp"

namespace sb::test {

namespace {

const std::vector<std::string> cluster_settings{"cluster.secret=pool-secret",
                                                "cluster.heartbeat_interval=100ms",
                                                "cluster.failure_timeout=1s"};

} // namespace

pool_cluster::pool_cluster(size_t n, const std::vector<std::string>& sim_flags,
                           const std::vector<std::string>& sets)
  : dir(temp_dir("sb-pools")) {
  sim_port = start_sim(dir, sim_flags, sim);
  auto p = std::to_string(sim_port);
  auto all = cluster_settings;
  all.push_back("stt.url=ws://127.0.0.1:" + p);
  all.push_back("llm.url=http://127.0.0.1:" + p + "/v1");
  all.push_back("tts.url=http://127.0.0.1:" + p);
  all.insert(all.end(), sets.begin(), sets.end());
  std::vector<std::string> env{"DEEPGRAM_API_KEY=test-dg", "OPENAI_API_KEY=test-oa",
                               "ELEVENLABS_API_KEY=test-el"};
  for (size_t i = 0; i < n; ++i) {
    auto seed = i == 0 ? std::string{} : nodes[0].cluster_address;
    nodes.push_back(
      start_cluster_node(dir, "node-" + std::to_string(i + 1), seed, 0, all, env));
  }
}

bool pool_cluster::settled(const std::vector<size_t>& which, const std::string& pool,
                           std::string& home) {
  return cluster_settled(nodes, which, pool, home);
}

bool cluster_settled(const std::vector<cluster_node>& nodes, const std::vector<size_t>& which,
                     const std::string& pool, std::string& home) {
  std::string seen;
  for (auto i : which) {
    auto stats = get_json(nodes[i].http_port, "/api/v1/stats");
    auto members = stats["cluster"]["members"];
    if (!members.is_array())
      return false;
    size_t up = 0;
    for (auto& m : members)
      up += m.value("state", "") == "up" ? 1 : 0;
    if (up != which.size())
      return false;
    auto h = stats["pools"][pool].value("home", "");
    if (h.empty() || (!seen.empty() && h != seen))
      return false;
    seen = h;
  }
  home = seen;
  return true;
}

size_t pool_cluster::index_of(const std::string& name) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == name)
      return i;
  throw std::runtime_error("no node " + name);
}

nlohmann::json pool_cluster::pool_detail(size_t i, const std::string& pool) {
  return get_json(nodes[i].http_port, "/api/v1/stats/pool")["pools"][pool];
}

call_runner::call_runner(uint16_t port, int calls, int turns,
                         std::chrono::milliseconds longest) {
  thread_ = std::thread([this, port, calls, turns, longest] {
    sb::caller::engine e("127.0.0.1", port);
    for (int i = 0; i < calls; ++i) {
      sb::caller::script s;
      s.turns = turns;
      s.reply_timeout = std::chrono::seconds{60};
      s.max_duration = longest;
      e.add(s, std::chrono::milliseconds{i * 20});
    }
    e.run(std::chrono::seconds{120});
    for (auto& r : e.results()) {
      answered_ += r.turns_answered;
      spoken_ += r.turns_spoken;
    }
  });
}

call_runner::~call_runner() {
  join();
}

int call_runner::join() {
  if (!joined_ && thread_.joinable()) {
    thread_.join();
    joined_ = true;
  }
  return answered_;
}

int call_runner::spoken() {
  join();
  return spoken_;
}

} // namespace sb::test
