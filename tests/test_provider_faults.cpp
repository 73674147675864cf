// A provider that misbehaves in each way the simulator can (POST /sim/faults), seen by a
// caller on a real node: a 429, a reply cut off mid-stream, a reply that never comes, and
// a key variable that is not set. The caller is answered (the reply, the apology when the
// LLM failed) or told why the call cannot go on, the failure is counted by its kind, and
// no pool slot or provider stream is left behind.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/calls.hpp"
#include "tests/support/idle.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;
using sb::test::pools_idle;
using sb::test::sim_idle;

namespace {

const std::vector<std::string> fast_sim{"--tts-ms-per-char", "5"};

// The call ended because the caller hung up (its `stop`): either the caller closed first
// (0), or the node answered the stop with its own close, 1000 "stream stopped"
// (actors/call_ending.cpp), before it did; the node ended nothing itself.
bool ended_by_caller(const sb::caller::result& r) {
  UNSCOPED_INFO("caller: finished " << r.finished << ", close " << r.close_code << " '"
                << r.close_reason << "'");
  return r.finished &&
         (r.close_code == 0 || (r.close_code == 1000 && r.close_reason == "stream stopped"));
}

// No pool slot held or queued on the node, no stream open on the simulator.
void check_nothing_held(const sb::test::stack& st) {
  CHECK(sb::test::wait_until([&] { return pools_idle(st.node_port); }));
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
}

// One caller, two turns, with `fault` set for the LLM before it calls.
sb::caller::result call_with_llm_fault(const sb::test::stack& st, const std::string& fault) {
  auto f = sb::test::http_request(st.sim_port, "POST", "/sim/faults",
                                  json{{"llm", fault}}.dump());
  REQUIRE(f.status == 200);
  auto r = sb::test::place_calls(st.node_port, 1, 2).at(0);
  INFO(st.node_log());
  CHECK(r.connected);
  CHECK(ended_by_caller(r));
  return r;
}

} // namespace

TEST_CASE("an LLM answering 429 degrades each turn to the apology; no slot is kept") {
  sb::test::stack st(fast_sim, {});
  auto r = call_with_llm_fault(st, "http429");
  INFO(st.node_log());
  CHECK(r.turns_answered == 2);
  CHECK(r.turns_failed == 0);
  CHECK(sb::test::provider_failures(st.node_port, "llm", "rate_limited") >= 1);
  check_nothing_held(st);
}

TEST_CASE("an LLM reply cut off mid-stream is answered, and counted as malformed with why") {
  sb::test::stack st(fast_sim, {});
  auto r = call_with_llm_fault(st, "close");
  INFO(st.node_log());
  CHECK(r.turns_answered == 2);
  CHECK(r.turns_failed == 0);
  // After its 200 and the first chunks the connection ends: no [DONE], no finish_reason.
  CHECK(sb::test::provider_failures(st.node_port, "llm", "malformed") == 2);
  CHECK(st.node_log().find("LLM failed (malformed: stream ended without [DONE]), apologising") !=
        std::string::npos);
  check_nothing_held(st);
}

TEST_CASE("an LLM that never answers times out after llm.timeout and the caller hears the "
          "apology") {
  sb::test::stack st(fast_sim, {"llm.timeout=1s"});
  auto r = call_with_llm_fault(st, "hang");
  INFO(st.node_log());
  CHECK(r.turns_answered == 2);
  CHECK(r.turns_failed == 0);
  CHECK(sb::test::provider_failures(st.node_port, "llm", "timeout") == 2);
  check_nothing_held(st);
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
    CHECK(ended_by_caller(r));
    CHECK(r.turns_spoken == 2);
    CHECK(sb::test::provider_failures(st.node_port, "tts", kind) >= 2);  // at least one sentence per turn
    check_nothing_held(st);
  }
}

TEST_CASE("a provider whose key variable is not set: the caller is told, nothing is held") {
  SECTION("STT") {
    sb::test::stack st(fast_sim, {"stt.api_key_env=SB_TEST_UNSET_STT_KEY"});
    auto r = sb::test::place_calls(st.node_port, 1, 1).at(0);
    INFO(st.node_log());
    CHECK(r.close_code == 1011);
    CHECK(r.close_reason.find("no API key: set $SB_TEST_UNSET_STT_KEY") != std::string::npos);
    CHECK(sb::test::provider_failures(st.node_port, "stt", "rejected") >= 1);
    CHECK(st.node_log().find("$SB_TEST_UNSET_STT_KEY is not set") != std::string::npos);
    check_nothing_held(st);
  }
  SECTION("LLM") {
    sb::test::stack st(fast_sim, {"llm.api_key_env=SB_TEST_UNSET_LLM_KEY"});
    auto r = sb::test::place_calls(st.node_port, 1, 1).at(0);
    INFO(st.node_log());
    CHECK(ended_by_caller(r));
    CHECK(r.turns_answered == 1);  // the apology
    CHECK(sb::test::provider_failures(st.node_port, "llm", "rejected") == 1);
    CHECK(st.node_log().find("no API key: set $SB_TEST_UNSET_LLM_KEY") != std::string::npos);
    check_nothing_held(st);
  }
}
