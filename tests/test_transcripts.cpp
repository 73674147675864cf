// Transcripts through a real node: what callers said and what the agent answered is in the
// SQLite store ([store] transcripts), in order, with each call's record; and a node told to
// stop (SIGTERM) while calls are active writes every call's entries and end before it exits.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sqlite3.h>

#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"
#include "tests/support/sqlite_rows.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::test::get_json;

namespace {

using sb::test::query;

} // namespace

TEST_CASE("a call's record and transcript are stored, in order, when it ends") {
  sb::test::stack st({"--tts-ms-per-char", "5"}, {"batcher.max_delay=60s"});
  sb::caller::engine e("127.0.0.1", st.node_port);
  sb::caller::script s;
  s.turns = 2;
  e.add(s, 0ms);
  REQUIRE(e.run(60s));
  REQUIRE(e.results()[0].turns_answered == 2);
  // max_delay is a minute: the entries are written because the call ended (its start and
  // end records went in one batch, as one row).
  REQUIRE(sb::test::wait_until([&] {
    auto t = get_json(st.node_port, "/api/v1/stats")["transcripts"];
    return t["entries_written"].get<int>() >= 4 && t["buffered"] == 0;
  }));
  const auto db = st.dir + "/transcripts.db";
  auto calls = query(db, "SELECT * FROM calls");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]["call_id"] == "CAsim0");
  CHECK(calls[0]["stream_sid"] == "MZsim0");
  CHECK(calls[0]["dialect"] == "twilio");
  CHECK(calls[0]["status"] == "ended");
  CHECK(calls[0]["end_reason"] == "caller_stop");
  CHECK(calls[0]["node"] == "node-1");
  CHECK(calls[0]["turns"] == "2");
  CHECK(std::stoll(calls[0]["ended_at"]) >= std::stoll(calls[0]["started_at"]));
  CHECK(std::stoll(calls[0]["latency_p50_ms"]) >= 0);  // measured (whole ms; -1 = none)
  auto entries = query(db, "SELECT * FROM transcript_entries WHERE call_id = 'CAsim0' "
                           "ORDER BY id");
  REQUIRE(entries.size() == 4);
  const char* speakers[] = {"caller", "agent", "caller", "agent"};
  for (size_t i = 0; i < entries.size(); ++i) {
    INFO("entry " << i << ": " << entries[i]["speaker"] << " '" << entries[i]["text"] << "'");
    CHECK(entries[i]["speaker"] == speakers[i]);
    CHECK(entries[i]["turn"] == std::to_string(i / 2 + 1));
    CHECK_FALSE(entries[i]["text"].empty());
    CHECK(entries[i]["interrupted"] == "0");
  }
  // The agent's words are what was spoken: the simulator's reply quotes the utterance.
  CHECK(entries[0]["text"] == "caller utterance 1");
  CHECK(entries[1]["text"] == "You said: caller utterance 1. That is noted. What else can I "
                              "do for you?");
  CHECK(std::stoll(entries[1]["latency_ms"]) >= 0);

  // The same through the call records API.
  auto call = get_json(st.node_port, "/api/v1/calls/CAsim0");
  CHECK(call["status"] == "ended");
  CHECK(call["end_reason"] == "caller_stop");
  CHECK(call["turns"] == 2);
  REQUIRE(call["transcript"].size() == 4);
  CHECK(call["transcript"][0]["speaker"] == "caller");
  CHECK(call["transcript"][0]["text"] == "caller utterance 1");
  CHECK(call["transcript"][1]["speaker"] == "agent");
  CHECK(call["transcript"][1]["at"].get<int64_t>() >=
        call["transcript"][0]["at"].get<int64_t>());
  auto missing = sb::test::http_request(st.node_port, "GET", "/api/v1/calls/CAnone");
  CHECK(missing.status == 404);
  auto ended = get_json(st.node_port, "/api/v1/calls?status=ended&agent=&limit=10");
  CHECK(ended["count"] == 1);
  CHECK(ended["calls"][0]["call_id"] == "CAsim0");
  CHECK(get_json(st.node_port, "/api/v1/calls?status=active")["count"] == 0);
  CHECK(get_json(st.node_port, "/api/v1/calls?since=99999999999999")["count"] == 0);
  for (auto* bad : {"/api/v1/calls?limit=0", "/api/v1/calls?status=gone",
                    "/api/v1/calls?since=yesterday", "/api/v1/calls?color=red"}) {
    auto r = sb::test::http_request(st.node_port, "GET", bad);
    INFO(bad << ": " << r.body);
    CHECK(r.status == 400);
    CHECK(nlohmann::json::parse(r.body, nullptr, false)["error"] == "bad_request");
  }
}

TEST_CASE("the call records API shows a call as active while it lasts") {
  sb::test::stack st({"--tts-ms-per-char", "5"}, {"batcher.max_delay=100ms"});
  sb::caller::engine e("127.0.0.1", st.node_port);
  sb::caller::script s;
  s.turns = 3;
  e.add(s, 0ms);
  std::thread caller([&] { e.run(60s); });
  bool active = sb::test::wait_until([&] {
    auto c = get_json(st.node_port, "/api/v1/calls/CAsim0");
    return c["status"] == "active" && c["transcript"].size() >= 1;
  });
  caller.join();
  CHECK(active);
  CHECK(sb::test::wait_until([&] {
    auto c = get_json(st.node_port, "/api/v1/calls/CAsim0");
    return c["status"] == "ended" && c["transcript"].size() == 6;
  }));
}

TEST_CASE("a node stopped with SIGTERM during 50 calls says goodbye and stores every entry and end") {
  // Room for every call in the pools: all 50 are talking when the node is told to stop.
  sb::test::stack st({"--tts-ms-per-char", "5"},
                     {"node.drain_timeout=1s", "batcher.max_delay=60s",
                      "pool.stt.max_active=60", "pool.tts.max_active=60",
                      "pool.llm.max_active=60"});
  const int n = 50;
  sb::caller::engine e("127.0.0.1", st.node_port);
  for (int i = 0; i < n; ++i) {
    sb::caller::script s;
    s.turns = 50;  // longer than the test: the node ends them
    s.max_duration = 120s;
    e.add(s, std::chrono::milliseconds{20 * i});
  }
  std::thread callers([&] { e.run(90s); });
  // Every call has been answered at least once before the node is told to stop.
  bool answered = sb::test::wait_until(
    [&] {
      auto t = get_json(st.node_port, "/api/v1/stats");
      return t["active_calls"] == n && e.stats().answered == n;
    },
    60s);
  kill(st.node.pid(), SIGTERM);
  const int code = st.node.wait_exit(60s);
  callers.join();
  REQUIRE(answered);
  CHECK(code == 0);
  const auto db = st.dir + "/transcripts.db";
  auto calls = query(db, "SELECT call_id, status, end_reason, turns FROM calls");
  CHECK(calls.size() == n);
  for (auto& c : calls) {
    INFO("call " << c["call_id"] << " " << c["status"] << " " << c["end_reason"]);
    CHECK(c["status"] == "ended");
    CHECK(c["end_reason"] == "shutdown");
  }
  // Every turn a caller heard an answer to has its caller entry stored.
  uint64_t answered_turns = 0;
  for (auto& r : e.results())
    answered_turns += static_cast<uint64_t>(r.turns_answered);
  auto said = query(db, "SELECT count(*) AS n FROM transcript_entries WHERE "
                        "speaker = 'caller'");
  CHECK(std::stoull(said[0]["n"]) >= answered_turns);
  auto agent = query(db, "SELECT count(*) AS n FROM transcript_entries WHERE "
                         "speaker = 'agent'");
  CHECK(std::stoull(agent[0]["n"]) >= answered_turns);
  // Each call's last agent words are the goodbye ([call] goodbye), heard whole, then the
  // close (what the caller said over it is stored after it).
  const std::string goodbye =
    "I am sorry, this line has to end the call now. Please call again. Goodbye.";
  sb::test::check_goodbye_last(db, n, goodbye);
  for (auto& r : e.results())
    CHECK(r.close_code == 1001);
  auto log = st.node_log();
  CHECK(log.find("transcripts: everything written") != std::string::npos);
}

TEST_CASE("a second signal ends the calls at once, cutting the goodbye, and still writes") {
  // A slow voice: the goodbye takes seconds to synthesise and play.
  sb::test::stack st({"--tts-ms-per-char", "60"},
                     {"node.drain_timeout=0s", "batcher.max_delay=60s"});
  sb::caller::engine e("127.0.0.1", st.node_port);
  for (int i = 0; i < 3; ++i) {
    sb::caller::script s;
    s.turns = 1;
    s.stay_after_turns = true;
    s.max_duration = 120s;
    e.add(s, 0ms);
  }
  std::thread callers([&] { e.run(90s); });
  bool answered = sb::test::wait_until(
    [&] { return get_json(st.node_port, "/api/v1/stats")["turn_latency_ms"]["count"] == 3; },
    60s);
  kill(st.node.pid(), SIGTERM);
  bool saying = sb::test::wait_until(
    [&] { return st.node_log().find("saying goodbye") != std::string::npos; });
  kill(st.node.pid(), SIGTERM);
  const int code = st.node.wait_exit(60s);
  callers.join();
  REQUIRE(answered);
  REQUIRE(saying);
  CHECK(code == 0);
  auto log = st.node_log();
  CHECK(log.find("second signal: ending the calls at once") != std::string::npos);
  CHECK(log.find("transcripts: everything written") != std::string::npos);
  const auto db = st.dir + "/transcripts.db";
  auto calls = query(db, "SELECT status, end_reason FROM calls");
  REQUIRE(calls.size() == 3);
  for (auto& c : calls) {
    CHECK(c["status"] == "ended");
    CHECK(c["end_reason"] == "shutdown");
  }
  // The goodbye was cut: stored as far as each caller heard it (interrupted), or not at
  // all if none of its audio had played.
  auto bye = query(db, "SELECT text, interrupted FROM transcript_entries WHERE speaker = "
                       "'agent' AND text LIKE 'I am%'");
  CHECK(bye.size() <= 3);
  for (auto& b : bye) {
    INFO(b["text"]);
    CHECK(b["interrupted"] == "1");
    CHECK(std::string("I am sorry, this line has to end the call now. Please call again. "
                      "Goodbye.").rfind(b["text"], 0) == 0);
  }
}
