// Connection reuse to the HTTP providers: each LLM reply and each TTS sentence is a new
// request, and with [llm|tts] keep_alive they go on the connection the previous one left
// open instead of a new TCP (and TLS) handshake each. The simulator counts the provider
// requests it served and the connections they came on.
#include <catch2/catch.hpp>

#include "tests/support/calls.hpp"
#include "tests/support/processes.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;

namespace {

struct served {
  uint64_t requests = 0;
  uint64_t connections = 0;
};

served sim_http(uint16_t sim_port) {
  auto j = sb::test::get_json(sim_port, "/sim/stats");
  return {j["http"].value("requests", uint64_t{0}), j["http"].value("connections", uint64_t{0})};
}

void calls(uint16_t port, int n, int turns) {
  for (auto& r : sb::test::place_calls(port, n, turns))
    CHECK(r.turns_answered == turns);
}

} // namespace

TEST_CASE("one call's LLM replies and TTS sentences share two kept-alive connections") {
  sb::test::stack st({"--tts-ms-per-char", "2"}, {});
  calls(st.node_port, 1, 4);
  INFO(st.node_log());
  auto s = sim_http(st.sim_port);
  // 4 LLM replies and at least 4 sentences, one request at a time per provider: the
  // first of each opened the connection, every later one reused it.
  CHECK(s.requests >= 8);
  CHECK(s.connections == 2);
  auto node = sb::test::get_json(st.node_port, "/api/v1/stats")["provider_http"];
  CHECK(node["requests"] == s.requests);
  CHECK(node["reused"] == s.requests - 2);
  CHECK(node["retried"] == 0);
}

TEST_CASE("concurrent calls never share a connection in flight, and reuse idle ones") {
  sb::test::stack st({"--tts-ms-per-char", "2"}, {});
  calls(st.node_port, 6, 3);
  INFO(st.node_log());
  auto s = sim_http(st.sim_port);
  CHECK(s.requests >= 6 * 3 * 2);
  // At most one connection per request in flight at once: 6 calls make at most 6 LLM and
  // 6 TTS requests at a time, so at most 12 connections, far fewer than the requests.
  CHECK(s.connections <= 12);
  CHECK(s.connections >= 2);
}

TEST_CASE("keep_alive = 0 opens a connection per request") {
  sb::test::stack st({"--tts-ms-per-char", "2"}, {"llm.keep_alive=0s", "tts.keep_alive=0s"});
  calls(st.node_port, 1, 2);
  auto s = sim_http(st.sim_port);
  CHECK(s.requests >= 4);
  CHECK(s.connections == s.requests);
  CHECK(sb::test::get_json(st.node_port, "/api/v1/stats")["provider_http"]["reused"] == 0);
}

TEST_CASE("[tts] transport = websocket: one ElevenLabs stream-input per reply, every turn "
          "answered") {
  sb::test::stack st({"--tts-ms-per-char", "2"}, {"tts.transport=websocket"});
  calls(st.node_port, 2, 3);
  INFO(st.node_log());
  auto sim = sb::test::get_json(st.sim_port, "/sim/stats");
  INFO(sim.dump());
  // One stream per reply: 2 calls x 3 turns, never one per sentence.
  CHECK(sim["tts_elevenlabs"]["test-el"]["total"] == 6);
  CHECK(sim["tts_elevenlabs"]["test-el"]["refused"] == 0);
  CHECK(sim["tts_elevenlabs"]["test-el"]["current"] == 0);
  // The LLM still goes over kept-alive HTTP; TTS made no HTTP requests.
  CHECK(sim["http"]["requests"] == 6);
  auto pools = sb::test::get_json(st.node_port, "/api/v1/stats")["pools"]["tts"];
  CHECK(pools["total_acquired"] == 6);
  CHECK(pools["active"] == 0);
}

TEST_CASE("[tts] transport = websocket with Deepgram: one /v1/speak stream per reply") {
  sb::test::stack st({"--tts-ms-per-char", "2"},
                     {"tts.transport=websocket", "tts.provider=deepgram",
                      "tts.model=aura-2-thalia-en", "tts.api_key_env=DEEPGRAM_API_KEY"});
  calls(st.node_port, 2, 2);
  INFO(st.node_log());
  auto sim = sb::test::get_json(st.sim_port, "/sim/stats");
  INFO(sim.dump());
  CHECK(sim["tts_deepgram"]["test-dg"]["total"] == 4);
  CHECK(sim["tts_deepgram"]["test-dg"]["refused"] == 0);
  CHECK(sim["tts_deepgram"]["test-dg"]["current"] == 0);
  CHECK(sim["http"]["requests"] == 4);  // the LLM replies only
}
