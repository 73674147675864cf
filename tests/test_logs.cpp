// log.format = json: every line the node writes is one JSON object with the node's name,
// and every line about a call carries its call_id and stream_sid as fields (the message
// text does not have to hold them). A real node, real calls from switchboard-loadgen.
#include <catch2/catch.hpp>

#include <csignal>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;

TEST_CASE("log.format=json: JSON lines, call lines carry call_id and stream_sid") {
  sb::test::stack st({"--tts-ms-per-char", "5"},
                     {"log.format=json", "log.level=debug", "node.name=edge-7"});
  sb::test::child lg({SB_LOADGEN_BIN, "--target", "127.0.0.1:" + std::to_string(st.node_port),
                      "--calls", "2", "--turns", "1", "--ramp-ms", "0", "--no-progress"},
                     st.dir + "/loadgen.log");
  REQUIRE(lg.wait_exit(120s) == 0);
  // A caller that breaks the protocol after its start: the edge's line about it.
  sb::test::raw_ws bad("127.0.0.1", st.node_port);
  REQUIRE(bad.upgrade("/ws/twilio").status == 101);
  REQUIRE(bad.send_twilio_start("CAbad"));
  REQUIRE(bad.send_text("{not json"));
  REQUIRE(bad.read_close(10s));
  REQUIRE(st.node.stop(SIGTERM) == 0);

  std::istringstream lines(st.node_log());
  std::string line;
  size_t n = 0;
  std::set<std::string> calls_seen;
  std::map<std::string, std::string> stream_of;
  bool edge_line = false;
  while (std::getline(lines, line)) {
    INFO("line " << n << ": " << line);
    ++n;
    auto j = json::parse(line, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j.value("node", "") == "edge-7");
    CHECK_FALSE(j.value("time", "").empty());
    CHECK_FALSE(j.value("level", "").empty());
    REQUIRE(j.contains("msg"));
    auto msg = j["msg"].get<std::string>();
    // The call actor's lines ("call N: ...") and the edge's lines about a started call.
    bool about_call = msg.rfind("call ", 0) == 0 ||
                      msg.find("closing on caller protocol error") != std::string::npos;
    if (!about_call) {
      CHECK_FALSE(j.contains("call_id"));
      continue;
    }
    REQUIRE(j.contains("call_id"));
    REQUIRE(j.contains("stream_sid"));
    auto call = j["call_id"].get<std::string>();
    auto stream = j["stream_sid"].get<std::string>();
    CHECK(call.rfind("CA", 0) == 0);
    CHECK(stream.rfind("MZ", 0) == 0);
    calls_seen.insert(call);
    if (stream_of.count(call))
      CHECK(stream_of[call] == stream);  // one stream per call, on every line
    stream_of[call] = stream;
    if (call == "CAbad")
      edge_line = edge_line || msg.find("protocol error") != std::string::npos;
  }
  CHECK(n > 5);
  CHECK(calls_seen == std::set<std::string>{"CAsim0", "CAsim1", "CAbad"});
  CHECK(stream_of["CAsim0"] == "MZsim0");
  CHECK(stream_of["CAsim1"] == "MZsim1");
  CHECK(edge_line);
}

TEST_CASE("log.format=text: a call's lines start with its call id and stream sid") {
  sb::test::stack st({"--tts-ms-per-char", "5"}, {});
  sb::test::raw_ws c("127.0.0.1", st.node_port);
  REQUIRE(c.upgrade("/ws/twilio").status == 101);
  REQUIRE(c.send_twilio_start("CAtext"));
  REQUIRE(sb::test::wait_until([&] {
    return sb::test::get_json(st.node_port, "/api/v1/stats").value("sessions", -1) == 1;
  }));
  c.drop();
  REQUIRE(st.node.stop(SIGTERM) == 0);
  auto log = st.node_log();
  CHECK(log.find("] [CAtext MZ") != std::string::npos);
}
