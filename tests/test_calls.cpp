// Whole calls through a real node and the provider simulator, over real WebSockets.
#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/idle.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::caller::misbehaviour;
using sb::caller::script;
using json = nlohmann::json;

namespace {

using sb::test::get_json;
using sb::test::sim_idle;

// Short replies: 5 ms of audio per character, no provider latency.
const std::vector<std::string> fast_sim{"--tts-ms-per-char", "5"};

// Chat completions the simulator has accepted so far.
int llm_requests(uint16_t sim_port) {
  auto s = get_json(sim_port, "/sim/stats");
  auto k = s.value("llm", json::object()).value("test-oa", json::object());
  return k.is_object() ? k.value("total", 0) : 0;
}

bool node_idle(uint16_t node_port) {
  return get_json(node_port, "/api/v1/stats").value("active_calls", -1) == 0;
}

std::vector<sb::caller::result> run_calls(uint16_t port, std::vector<script> scripts,
                                          std::chrono::milliseconds timeout = 60s) {
  sb::caller::engine e("127.0.0.1", port);
  for (auto& s : scripts)
    e.add(s);
  REQUIRE(e.run(timeout));
  return e.results();
}

} // namespace

TEST_CASE("a Twilio caller gets spoken replies on every turn") {
  sb::test::stack st(fast_sim, {});
  script s;
  s.kind = sb::dialect::twilio;
  s.turns = 3;
  auto r = run_calls(st.node_port, {s}).at(0);
  INFO(st.node_log());
  CHECK(r.connected);
  CHECK(r.turns_spoken == 3);
  CHECK(r.turns_answered == 3);
  CHECK(r.turns_failed == 0);
  CHECK(r.marks == 3);         // one per finished reply, echoed back
  CHECK(r.media_bytes > 3 * 8 * 100);  // at least 100 ms of audio per reply
  CHECK(r.latency_ms.size() == 3);
  CHECK(r.clears == 0);
  CHECK(sb::test::wait_until([&] { return node_idle(st.node_port); }));
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
  auto stats = get_json(st.node_port, "/api/v1/stats");
  CHECK(stats["turn_latency_ms"]["count"] == 3);
}

TEST_CASE("an Exotel caller gets spoken replies in PCM chunks") {
  sb::test::stack st(fast_sim, {});
  script s;
  s.kind = sb::dialect::exotel;
  s.turns = 2;
  auto r = run_calls(st.node_port, {s}).at(0);
  INFO(st.node_log());
  CHECK(r.turns_answered == 2);
  CHECK(r.marks == 2);
  // Exotel chunks are 200 ms of 16-bit PCM at 8 kHz: 3200 bytes each.
  REQUIRE(r.media_frames > 0);
  CHECK(r.media_bytes == r.media_frames * 3200);
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
}

TEST_CASE("caller speech during a reply is barge-in: clear, and the old audio stops") {
  // Long replies (60 ms per character) so the caller interrupts mid-reply.
  sb::test::stack st({"--tts-ms-per-char", "60"}, {});
  script s;
  s.turns = 3;
  s.barge_in = true;
  auto r = run_calls(st.node_port, {s}).at(0);
  INFO(st.node_log());
  CHECK(r.clears >= 2);
  CHECK(r.stale_frames == 0);
  CHECK(r.turns_answered == 3);
  // On a transcript: not before the simulator's first interim result (500 ms of speech).
  REQUIRE(r.barge_in_ms.size() >= 2);
  for (double ms : r.barge_in_ms)
    CHECK(ms >= 400);
  auto metrics = sb::test::http_request(st.node_port, "GET", "/metrics").body;
  CHECK(metrics.find("switchboard_barge_ins_total 0") == std::string::npos);
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
}

TEST_CASE("call.barge_in = vad: the reply stops on the voice event, before any transcript") {
  // The simulator sends its first interim transcript after 500 ms of speech and
  // SpeechStarted at the first speech block: only vad stops the reply before 500 ms.
  sb::test::stack st({"--tts-ms-per-char", "60"}, {"call.barge_in=vad"});
  script s;
  s.turns = 3;
  s.barge_in = true;
  auto r = run_calls(st.node_port, {s}).at(0);
  INFO(st.node_log());
  CHECK(r.turns_answered == 3);
  CHECK(r.stale_frames == 0);
  REQUIRE(r.barge_in_ms.size() >= 2);
  for (double ms : r.barge_in_ms)
    CHECK(ms < 400);
}

TEST_CASE("a caller sending garbage is closed with a reason, other calls carry on") {
  sb::test::stack st(fast_sim, {"call.start_timeout=1s"});
  std::vector<script> scripts;
  script good;
  good.turns = 3;
  scripts.push_back(good);
  struct bad_case {
    misbehaviour m;
    int code;
    const char* reason_part;
  };
  std::vector<bad_case> bad{{misbehaviour::invalid_json, 1007, "JSON"},
                            {misbehaviour::bad_base64, 1007, "base64"},
                            {misbehaviour::huge_frame, 1009, "too big"},
                            {misbehaviour::binary_frame, 1003, "binary"},
                            {misbehaviour::no_start, 1008, "start"}};
  for (auto& b : bad) {
    script s;
    s.misbehave = b.m;
    s.turns = 1;
    s.kind = b.m == misbehaviour::bad_base64 ? sb::dialect::exotel : sb::dialect::twilio;
    scripts.push_back(s);
  }
  scripts.push_back(good);
  auto results = run_calls(st.node_port, scripts);
  INFO(st.node_log());
  for (size_t i = 0; i < bad.size(); ++i) {
    auto& r = results[i + 1];
    INFO("misbehaviour " << i << ": close " << r.close_code << " '" << r.close_reason
                         << "' error '" << r.connect_error << "' connected " << r.connected);
    CHECK(r.close_code == bad[i].code);
    CHECK(r.close_reason.find(bad[i].reason_part) != std::string::npos);
  }
  for (auto i : {size_t{0}, results.size() - 1}) {
    CHECK(results[i].turns_answered == 3);
    // The good callers hung up themselves (a stop, then their close): the node answers a
    // stop with its own 1000 "stream stopped", which may reach them before their close
    // is done; never an error code.
    INFO("good caller " << i << ": close " << results[i].close_code << " '"
                        << results[i].close_reason << "'");
    CHECK((results[i].close_code == 0 ||
           (results[i].close_code == 1000 && results[i].close_reason == "stream stopped")));
  }
  CHECK(sb::test::wait_until([&] { return node_idle(st.node_port); }));
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
}

TEST_CASE("an event of an unknown type is skipped and counted, the call goes on") {
  sb::test::stack st(fast_sim, {});
  script s;
  s.turns = 2;
  s.misbehave = misbehaviour::unknown_event;  // {"event":"bogus"} right after start
  auto r = run_calls(st.node_port, {s}).at(0);
  INFO(st.node_log());
  CHECK(r.turns_answered == 2);
  // The caller hung up itself (the node may answer its stop with 1000 first).
  CHECK((r.close_code == 0 || r.close_code == 1000));
  auto metrics = sb::test::http_request(st.node_port, "GET", "/metrics").body;
  CHECK(metrics.find("switchboard_telephony_unknown_events_total 1") != std::string::npos);
  CHECK(metrics.find("switchboard_telephony_protocol_errors_total 0") != std::string::npos);
}

// One caller of three turns; once its first reply has been asked for, the simulated
// provider cuts its STT stream (1011), after setting `faults` when not empty.
sb::caller::result call_with_stt_cut(const sb::test::stack& st, const std::string& faults) {
  script s;
  s.turns = 3;
  sb::caller::engine e("127.0.0.1", st.node_port);
  e.add(s);
  std::thread cutter([&] {
    if (!sb::test::wait_until([&] { return llm_requests(st.sim_port) >= 1; }, 30s))
      return;
    if (!faults.empty())
      sb::test::http_request(st.sim_port, "POST", "/sim/faults", faults);
    sb::test::http_request(st.sim_port, "POST", "/sim/stt/drop");
  });
  bool finished = e.run(60s);
  cutter.join();
  REQUIRE(finished);
  return e.results().at(0);
}

TEST_CASE("an STT stream lost mid-call is reopened on the same lease, the call goes on") {
  sb::test::stack st(fast_sim, {});
  auto r = call_with_stt_cut(st, "");
  INFO(st.node_log());
  CHECK(r.turns_answered == 3);
  // The caller hung up itself (the node may answer its stop with 1000 first).
  CHECK((r.close_code == 0 || r.close_code == 1000));
  auto sim = get_json(st.sim_port, "/sim/stats");
  CHECK(sim["stt"]["test-dg"]["total"] == 2);  // one stream, opened twice
  CHECK(sim["stt"]["test-dg"]["refused"] == 0);
  auto metrics = sb::test::http_request(st.node_port, "GET", "/metrics").body;
  CHECK(metrics.find("switchboard_provider_reconnects_total{provider=\"stt\"} 1") != std::string::npos);
  auto pools = get_json(st.node_port, "/api/v1/stats")["pools"]["stt"];
  CHECK(pools["total_acquired"] == 1);  // the same lease throughout
  CHECK(sb::test::wait_until([&] { return node_idle(st.node_port); }));
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
}

TEST_CASE("an STT stream that cannot be reopened ends the call after its tries") {
  sb::test::stack st(fast_sim, {"stt.reconnect_attempts=2"});
  // From the cut on, every new stream is refused (500).
  auto r = call_with_stt_cut(st, R"({"stt":"http500"})");
  INFO(st.node_log());
  CHECK(r.close_code == 1011);
  CHECK(r.close_reason.find("speech-to-text") != std::string::npos);
  auto metrics = sb::test::http_request(st.node_port, "GET", "/metrics").body;
  CHECK(metrics.find("switchboard_provider_reconnects_total{provider=\"stt\"} 2") != std::string::npos);
  CHECK(sb::test::wait_until([&] { return node_idle(st.node_port); }));
}

TEST_CASE("an STT refusal (429) ends only that call, with the reason") {
  // No reopening: the refusal is final at once (the reconnect test covers the retries).
  sb::test::stack st({"--tts-ms-per-char", "5", "--stt-limit", "1"},
                     {"stt.reconnect_attempts=0"});
  script first;
  first.turns = 2;
  script second = first;
  // The second connects once the first has been heard (it holds the only STT connection),
  // and the first stays on until the second has been refused.
  second.start_after_answer_of = 0;
  first.stay_until_done_of = 1;
  sb::caller::engine e("127.0.0.1", st.node_port);
  e.add(first);
  e.add(second);
  REQUIRE(e.run(60s));
  auto& r = e.results();
  INFO(st.node_log());
  CHECK(r[0].turns_answered == 2);
  CHECK(r[1].close_code == 1011);
  CHECK(r[1].close_reason.find("rate_limited") != std::string::npos);
  auto sim = get_json(st.sim_port, "/sim/stats");
  CHECK(sim["stt"]["test-dg"]["refused"] == 1);
  CHECK(sb::test::wait_until([&] { return node_idle(st.node_port); }));
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
}

TEST_CASE("an LLM error degrades the call to an apology, and it goes on") {
  sb::test::stack st(fast_sim, {});
  auto f = sb::test::http_request(st.sim_port, "POST", "/sim/faults", R"({"llm":"http500"})");
  REQUIRE(f.status == 200);
  script s;
  s.turns = 2;
  auto r = run_calls(st.node_port, {s}).at(0);
  INFO(st.node_log());
  CHECK(r.turns_answered == 2);  // the apology is spoken
  CHECK(sb::test::provider_failures(st.node_port, "llm", "http_status") == 2);
  CHECK(sb::test::wait_until([&] { return sim_idle(st.sim_port); }));
}

TEST_CASE("refused upgrades answer a status and a JSON reason") {
  sb::test::stack st(fast_sim, {"node.max_calls=1"});
  auto r = sb::test::http_request(st.node_port, "GET", "/ws/unknown");
  CHECK(r.status == 404);
  CHECK(json::parse(r.body)["error"] == "not_found");
  {
    // The same path as a WebSocket upgrade: refused before any call budget is spent.
    sb::test::raw_ws ws("127.0.0.1", st.node_port);
    REQUIRE(ws.ok());
    auto u = ws.upgrade("/ws/unknown");
    CHECK(u.status == 404);
    auto body = json::parse(u.body, nullptr, false);
    INFO(u.body);
    REQUIRE(body.is_object());
    CHECK(body["error"] == "not_found");
    CHECK(body.value("reason", "").find("/ws/twilio and /ws/exotel") != std::string::npos);
  }
  script hold;
  hold.turns = 2;
  script extra = hold;
  // The extra call comes while the first is in its call (heard), which stays on until the
  // extra one has been refused.
  extra.start_after_answer_of = 0;
  hold.stay_until_done_of = 1;
  sb::caller::engine e("127.0.0.1", st.node_port);
  e.add(hold);
  e.add(extra);
  REQUIRE(e.run(60s));
  CHECK(e.results()[0].turns_answered == 2);
  CHECK(e.results()[1].refused_status == 503);
  // The first call's session closes once the node has the caller's close acknowledgement.
  nlohmann::json health;
  CHECK(sb::test::wait_until([&] {
    health = get_json(st.node_port, "/health");
    return health["status"] == "ok";
  }));
  CHECK(health.contains("active_calls"));
  CHECK(health.contains("node"));
}

TEST_CASE("SIGTERM drains: health turns 503, the node exits 0") {
  sb::test::stack st(fast_sim, {"node.drain_timeout=5s"});
  CHECK(sb::test::http_request(st.node_port, "GET", "/health").status == 200);
  CHECK(st.node.stop(SIGTERM, 30s) == 0);
}
