// A stage's second provider ([tts] fallback, [stt] fallback): when the first cannot serve
// (its requests fail, its breaker is open, its pool has no lease in time), the calls go
// on with the fallback, through the fallback's own pool. Here the first provider is an
// address nothing listens on (port 1: connection refused) and the fallback is the
// simulator.
#include <catch2/catch.hpp>

#include "tests/support/calls.hpp"
#include "tests/support/idle.hpp"
#include "tests/support/processes.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;

using sb::test::metric;

TEST_CASE("TTS failover: every sentence is spoken by the fallback when the first provider "
          "is down, and its breaker sends them there at once") {
  sb::test::stack st({"--tts-ms-per-char", "2"},
                     {"tts.url=http://127.0.0.1:1", "tts.fallback=deepgram",
                      "tts.fallback.url=http://127.0.0.1:{sim_port}",
                      "breaker.tts.failure_threshold=2"});
  auto results = sb::test::place_calls(st.node_port, 2, 3);
  INFO(st.node_log());
  for (auto& r : results) {
    CHECK(r.turns_answered == 3);
    CHECK(r.media_bytes > 0);
  }
  // The first failures went to the fallback one by one; once the breaker opened, the
  // first provider was not even tried.
  CHECK(metric(st.node_port, R"(switchboard_provider_failovers_total{provider="tts",reason="failed"})") >= 2);
  CHECK(metric(st.node_port, R"(switchboard_provider_failovers_total{provider="tts",reason="no_lease"})") >= 1);
  auto pools = sb::test::get_json(st.node_port, "/api/v1/stats/pool")["pools"];
  CHECK(pools["tts"]["breaker"] == "open");
  CHECK(pools["tts_fallback"]["total_acquired"].get<int>() >= 6);
  // The simulator served Deepgram's /v1/speak for them.
  auto sim = sb::test::get_json(st.sim_port, "/sim/stats");
  INFO(sim.dump());
  CHECK(sim["tts_deepgram"]["test-dg"]["total"].get<int>() >= 6);
  CHECK(sim["tts_deepgram"]["test-dg"]["refused"] == 0);
}

TEST_CASE("STT failover: a call whose first STT provider cannot be reached is heard through "
          "the fallback") {
  sb::test::stack st({"--tts-ms-per-char", "2"},
                     {"stt.url=ws://127.0.0.1:1", "stt.reconnect_attempts=0",
                      "stt.fallback=deepgram", "stt.fallback.url=ws://127.0.0.1:{sim_port}"});
  auto results = sb::test::place_calls(st.node_port, 1, 2);
  INFO(st.node_log());
  CHECK(results.at(0).turns_answered == 2);
  CHECK(metric(st.node_port, R"(switchboard_provider_failovers_total{provider="stt",reason="failed"})") == 1);
}

TEST_CASE("without a fallback, a TTS provider that is down leaves the turns unspoken") {
  sb::test::stack st({"--tts-ms-per-char", "2"}, {"tts.url=http://127.0.0.1:1"});
  sb::caller::engine e("127.0.0.1", st.node_port);
  sb::caller::script s;
  s.turns = 1;
  s.reply_timeout = 3000ms;
  e.add(s);
  REQUIRE(e.run(60s));
  auto results = e.results();
  CHECK(results.at(0).media_bytes == 0);
  CHECK(results.at(0).turns_answered == 0);
  CHECK(metric(st.node_port, R"(switchboard_provider_failovers_total{provider="tts",reason="failed"})") == 0);
}
