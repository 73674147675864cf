// switchboard-loadgen as an operator runs it: the real binary against a real node and
// the provider simulator, read through its JSON summary.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// Runs the load generator to completion and returns its JSON summary.
json run_loadgen(sb::test::stack& st, std::vector<std::string> flags, int& exit_code) {
  std::vector<std::string> argv{SB_LOADGEN_BIN, "--target",
                                "127.0.0.1:" + std::to_string(st.node_port), "--no-progress"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto log = st.dir + "/loadgen.log";
  sb::test::child lg(argv, log);
  exit_code = lg.wait_exit(120s);
  std::ifstream f(log);
  std::stringstream text;
  text << f.rdbuf();
  auto s = text.str();
  auto from = s.find('{');
  auto to = s.rfind('}');
  INFO(s);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  return json::parse(s.substr(from, to - from + 1));
}

} // namespace

TEST_CASE("loadgen reports turns, latency and its own timer lag") {
  sb::test::stack st({"--tts-ms-per-char", "5"}, {});
  int code = -1;
  auto j = run_loadgen(st, {"--calls", "3", "--turns", "2", "--ramp-ms", "50"}, code);
  INFO(j.dump(2));
  CHECK(code == 0);
  CHECK(j["calls"] == 3);
  CHECK(j["connected"] == 3);
  CHECK(j["failed_calls"] == 0);
  CHECK(j["failures"].empty());
  CHECK(j["turns"]["answered"] == 6);
  CHECK(j["latency_ms"]["count"] == 6);
  CHECK(j["latency_ms"]["p50"].get<double>() > 0);
  CHECK(j["reply_frames"].get<int>() > 0);
  CHECK(j["tick_lag_ms"]["max"].get<double>() >= j["tick_lag_ms"]["p50"].get<double>());
}

TEST_CASE("loadgen --concurrency keeps a full node from refusing calls") {
  // The node takes 3 calls at a time; of 4 callers at once the extra one is refused: with
  // 503 at the upgrade, or, when all four upgrade before any has started (a connection
  // takes a call slot only with its start event), closed 4503 at its start...
  sb::test::stack st({"--tts-ms-per-char", "5"}, {"node.max_calls=3"});
  int code = -1;
  auto all_at_once = run_loadgen(st, {"--calls", "4", "--turns", "1", "--ramp-ms", "0"}, code);
  INFO(all_at_once.dump(2));
  const std::string at_capacity = "4503 at capacity (node.max_calls = 3)";
  CHECK(all_at_once["refused"].value("503", 0) +
          all_at_once["closed_by_node"].value(at_capacity, 0) ==
        1);
  CHECK(all_at_once["failed_calls"] == 1);
  CHECK(all_at_once["failures"].value("refused 503", 0) +
          all_at_once["failures"].value("closed " + at_capacity, 0) ==
        1);
  // ...while --concurrency 2 starts the next caller only when one has finished (a place
  // to spare: the node counts a session until the caller's close acknowledgement).
  auto limited = run_loadgen(
    st, {"--calls", "4", "--turns", "1", "--ramp-ms", "0", "--concurrency", "2"}, code);
  INFO(limited.dump(2));
  CHECK(limited["connected"] == 4);
  CHECK(limited["refused"].empty());
  CHECK(limited["failed_calls"] == 0);
  CHECK(limited["turns"]["answered"] == 4);
}
