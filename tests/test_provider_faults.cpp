// A provider that misbehaves in each way the simulator can (POST /sim/faults), seen by a
// caller on a real node: a 429, a reply cut off mid-stream, a reply that never comes.
// The caller is answered every turn (the reply, or the apology when the LLM failed), the
// failure is counted by its kind, and no pool slot or provider stream is left behind.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/calls.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;
using sb::test::get_json;

namespace {

const std::vector<std::string> fast_sim{"--tts-ms-per-char", "5"};

// Every pool back to 0 active and 0 queued (the board is refreshed every 500 ms).
bool pools_idle(uint16_t node_port) {
  auto p = get_json(node_port, "/api/v1/stats/pool")["pools"];
  if (!p.is_object() || p.size() != 3)
    return false;
  for (auto& [name, s] : p.items())
    if (s.value("active", 1) != 0 || s.value("queued", 1) != 0)
      return false;
  return true;
}

// The simulator holds no provider stream open.
bool sim_idle(uint16_t sim_port) {
  auto s = get_json(sim_port, "/sim/stats");
  for (auto provider : {"stt", "llm", "tts"}) {
    auto keys = s.value(provider, json::object());
    for (auto& [key, c] : keys.items())
      if (c.is_object() && c.value("current", 0) != 0)
        return false;
  }
  return true;
}

// switchboard_provider_failures_total{kind=KIND,provider=PROVIDER}, 0 when absent.
long failures(uint16_t node_port, const std::string& provider, const std::string& kind) {
  auto text = sb::test::http_request(node_port, "GET", "/metrics").body;
  auto key = "switchboard_provider_failures_total{kind=\"" + kind + "\",provider=\"" +
             provider + "\"} ";
  auto at = text.find(key);
  return at == std::string::npos ? 0 : std::stol(text.substr(at + key.size()));
}

// One caller, two turns, with `fault` set for the LLM before it calls.
sb::caller::result call_with_llm_fault(const sb::test::stack& st, const std::string& fault) {
  auto f = sb::test::http_request(st.sim_port, "POST", "/sim/faults",
                                  json{{"llm", fault}}.dump());
  REQUIRE(f.status == 200);
  auto r = sb::test::place_calls(st.node_port, 1, 2).at(0);
  INFO(st.node_log());
  CHECK(r.connected);
  CHECK(r.close_code == 0);  // the caller hung up; the node did not end the call
  return r;
}

} // namespace

TEST_CASE("an LLM answering 429 degrades each turn to the apology; no slot is kept") {
  sb::test::stack st(fast_sim, {});
  auto r = call_with_llm_fault(st, "http429");
  INFO(st.node_log());
  CHECK(r.turns_answered == 2);
  CHECK(r.turns_failed == 0);
  CHECK(failures(st.node_port, "llm", "rate_limited") >= 1);
  CHECK(sb::test::wait_until([&] { return pools_idle(st.node_port); }));
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
}

TEST_CASE("an LLM reply cut off mid-stream is answered, and counted as malformed with why") {
  sb::test::stack st(fast_sim, {});
  auto r = call_with_llm_fault(st, "close");
  INFO(st.node_log());
  CHECK(r.turns_answered == 2);
  CHECK(r.turns_failed == 0);
  // After its 200 and the first chunks the connection ends: no [DONE], no finish_reason.
  CHECK(failures(st.node_port, "llm", "malformed") == 2);
  CHECK(st.node_log().find("LLM failed (malformed: stream ended without [DONE]), apologising") !=
        std::string::npos);
  CHECK(sb::test::wait_until([&] { return pools_idle(st.node_port); }));
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
}

TEST_CASE("an LLM that never answers times out after llm.timeout and the caller hears the "
          "apology") {
  sb::test::stack st(fast_sim, {"llm.timeout=1s"});
  auto r = call_with_llm_fault(st, "hang");
  INFO(st.node_log());
  CHECK(r.turns_answered == 2);
  CHECK(r.turns_failed == 0);
  CHECK(failures(st.node_port, "llm", "timeout") == 2);
  CHECK(sb::test::wait_until([&] { return pools_idle(st.node_port); }));
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
}

// A sentence TTS cannot say is skipped (actors/call_failover.cpp): with every sentence
// failing the caller hears nothing, but the call goes on, each failure is counted by its
// kind, and nothing is left held.
TEST_CASE("a TTS answering 429 or never answering: counted by kind, the call goes on, "
          "nothing held") {
  for (auto [fault, kind] : {std::pair<const char*, const char*>{"http429", "rate_limited"},
                             {"hang", "timeout"}}) {
    INFO(fault);
    sb::test::stack st(fast_sim, {"tts.timeout=1s"});
    auto f = sb::test::http_request(st.sim_port, "POST", "/sim/faults",
                                    json{{"tts", fault}}.dump());
    REQUIRE(f.status == 200);
    // The caller waits 3 s for each reply (the failures come within 1 s of a turn).
    sb::caller::engine e("127.0.0.1", st.node_port);
    sb::caller::script s;
    s.turns = 2;
    s.reply_timeout = 3s;
    e.add(s);
    REQUIRE(e.run(60s));
    auto r = e.results().at(0);
    INFO(st.node_log());
    CHECK(r.connected);
    CHECK(r.close_code == 0);  // the caller hung up after its turns
    CHECK(r.turns_spoken == 2);
    CHECK(failures(st.node_port, "tts", kind) >= 2);  // at least one sentence per turn
    CHECK(sb::test::wait_until([&] { return pools_idle(st.node_port); }));
    CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
  }
}

TEST_CASE("a provider whose key variable is not set: the caller is told, nothing is held") {
  SECTION("STT") {
    sb::test::stack st(fast_sim, {"stt.api_key_env=SB_TEST_UNSET_STT_KEY"});
    auto r = sb::test::place_calls(st.node_port, 1, 1).at(0);
    INFO(st.node_log());
    CHECK(r.close_code == 1011);
    CHECK(r.close_reason.find("no API key: set $SB_TEST_UNSET_STT_KEY") != std::string::npos);
    CHECK(failures(st.node_port, "stt", "rejected") >= 1);
    CHECK(st.node_log().find("$SB_TEST_UNSET_STT_KEY is not set") != std::string::npos);
    CHECK(sb::test::wait_until([&] { return pools_idle(st.node_port); }));
  }
  SECTION("LLM") {
    sb::test::stack st(fast_sim, {"llm.api_key_env=SB_TEST_UNSET_LLM_KEY"});
    auto r = sb::test::place_calls(st.node_port, 1, 1).at(0);
    INFO(st.node_log());
    CHECK(r.close_code == 0);
    CHECK(r.turns_answered == 1);  // the apology
    CHECK(failures(st.node_port, "llm", "rejected") == 1);
    CHECK(st.node_log().find("no API key: set $SB_TEST_UNSET_LLM_KEY") != std::string::npos);
    CHECK(sb::test::wait_until([&] { return pools_idle(st.node_port); }));
  }
}
