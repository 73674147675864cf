// The node on EC2, against the loopback fake of IMDSv2 and Auto Scaling
// (tests/support/aws_fake.py): a scale-in (the target lifecycle state turns Terminated)
// drains 30 calls politely, heartbeats the lifecycle action while they remain and
// completes it once; a Spot notice caps the drain to its time.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <map>
#include <thread>

#include "tests/support/aws_fake.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::test::get_json;

namespace {

using row = std::map<std::string, std::string>;

std::vector<row> query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  std::vector<row> out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    row r;
    for (int i = 0; i < sqlite3_column_count(s); ++i) {
      auto* t = sqlite3_column_text(s, i);
      r[sqlite3_column_name(s, i)] = t ? reinterpret_cast<const char*>(t) : "";
    }
    out.push_back(std::move(r));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

const std::string goodbye =
  "I am sorry, this line has to end the call now. Please call again. Goodbye.";

// `n` callers who speak once and then stay on until the node ends their call.
void add_staying_callers(sb::caller::engine& e, int n) {
  for (int i = 0; i < n; ++i) {
    sb::caller::script s;
    s.turns = 1;
    s.stay_after_turns = true;
    s.max_duration = 120s;
    e.add(s, std::chrono::milliseconds{20 * i});
  }
}

// Every call ended by the drain, its goodbye heard whole and stored as its last words.
void check_ended_politely(const std::string& dir, const sb::caller::engine& e, size_t n) {
  const auto db = dir + "/transcripts.db";
  auto calls = query(db, "SELECT call_id, status, end_reason FROM calls");
  CHECK(calls.size() == n);
  for (auto& c : calls) {
    INFO("call " << c["call_id"]);
    CHECK(c["status"] == "ended");
    CHECK(c["end_reason"] == "shutdown");
  }
  auto last = query(db, "SELECT e.call_id, e.text, e.interrupted FROM transcript_entries e "
                        "WHERE e.id = (SELECT max(id) FROM transcript_entries WHERE "
                        "call_id = e.call_id AND speaker = 'agent')");
  CHECK(last.size() == n);
  for (auto& l : last) {
    INFO("call " << l["call_id"]);
    CHECK(l["text"] == goodbye);
    CHECK(l["interrupted"] == "0");
  }
  for (auto& r : e.results())
    CHECK(r.close_code == 1001);
}

void check_well_signed(const nlohmann::json& calls) {
  for (auto& c : calls) {
    INFO(c.dump());
    CHECK_FALSE(c.contains("fault"));
  }
}

} // namespace

TEST_CASE("scale-in: 30 calls end politely, the lifecycle action is heartbeaten while they "
          "remain and completed once, the node exits 0") {
  sb::test::aws_fake fake;
  auto sets = fake.node_sets("drain-hook");
  for (auto s : {"aws.heartbeat_interval=200ms", "node.drain_timeout=2s",
                 "batcher.max_delay=60s", "pool.stt.max_active=40", "pool.tts.max_active=40",
                 "pool.llm.max_active=40"})
    sets.push_back(s);
  sb::test::stack st({"--tts-ms-per-char", "5"}, sets);
  const int n = 30;
  sb::caller::engine e("127.0.0.1", st.node_port);
  add_staying_callers(e, n);
  std::thread callers([&] { e.run(90s); });
  bool answered = sb::test::wait_until(
    [&] {
      return get_json(st.node_port, "/api/v1/stats")["active_calls"] == n &&
             e.stats().answered == n;
    },
    60s);
  // The node has read the instance's identity and found the group from its tag.
  bool watching = sb::test::wait_until([&] {
    return st.node_log().find("Auto Scaling group switchboard-nodes") != std::string::npos;
  });
  CHECK(fake.calls().empty());  // nothing sent while in service

  fake.set({{"lifecycle_state", "Terminated"}});
  bool draining = sb::test::wait_until(
    [&] { return sb::test::http_request(st.node_port, "GET", "/health").status == 503; });
  const int code = st.node.wait_exit(60s);
  callers.join();
  REQUIRE(answered);
  CHECK(watching);
  CHECK(draining);
  CHECK(code == 0);
  check_ended_politely(st.dir, e, n);

  auto calls = fake.calls();
  INFO(calls.dump(1));
  check_well_signed(calls);
  auto beats = fake.calls_of("RecordLifecycleActionHeartbeat");
  auto done = fake.calls_of("CompleteLifecycleAction");
  CHECK(beats.size() >= 2);  // 2 s of drain and the goodbyes, every 200 ms
  REQUIRE(done.size() == 1);
  // The completion is the last call: no heartbeat after it.
  CHECK(calls.back()["action"] == "CompleteLifecycleAction");
  auto& p = done[0]["params"];
  CHECK(p["AutoScalingGroupName"] == "switchboard-nodes");
  CHECK(p["LifecycleHookName"] == "drain-hook");
  CHECK(p["InstanceId"] == "i-0123456789abcdef0");
  CHECK(p["LifecycleActionResult"] == "CONTINUE");
  CHECK(p["Version"] == "2011-01-01");
  for (auto& b : beats) {
    CHECK(b["params"]["InstanceId"] == "i-0123456789abcdef0");
    CHECK(b["params"]["AutoScalingGroupName"] == "switchboard-nodes");
  }
  auto log = st.node_log();
  CHECK(log.find("target lifecycle state Terminated") != std::string::npos);
  CHECK(log.find("calls remain)") != std::string::npos);
  CHECK(log.find("transcripts: everything written") != std::string::npos);
  // Completed once drained: after the transcripts were written.
  CHECK(log.find("lifecycle action completed") > log.find("transcripts: everything written"));
  // IMDSv2 only: a token first, every read with it.
  auto imds = fake.imds_log();
  REQUIRE(!imds.empty());
  CHECK(imds[0]["method"] == "PUT");
  for (auto& r : imds)
    CHECK(r["status"] != 401);
}

TEST_CASE("a Spot interruption notice caps the drain to its time less spot_margin") {
  sb::test::aws_fake fake;
  auto sets = fake.node_sets("drain-hook");
  // The drain would wait 5 minutes; the notice leaves 25 s, less a margin of 20 s.
  for (auto s : {"node.drain_timeout=300s", "aws.spot_margin=20s", "batcher.max_delay=60s"})
    sets.push_back(s);
  sb::test::stack st({"--tts-ms-per-char", "5"}, sets);
  sb::caller::engine e("127.0.0.1", st.node_port);
  add_staying_callers(e, 3);
  std::thread callers([&] { e.run(90s); });
  bool answered = sb::test::wait_until(
    [&] { return get_json(st.node_port, "/api/v1/stats")["active_calls"] == 3 &&
                 e.stats().answered == 3; },
    60s);
  auto noticed = std::chrono::steady_clock::now();
  fake.set({{"spot", {{"action", "terminate"}, {"time", sb::test::utc_in(25)}}}});
  const int code = st.node.wait_exit(60s);
  auto took = std::chrono::steady_clock::now() - noticed;
  callers.join();
  REQUIRE(answered);
  CHECK(code == 0);
  // About 4-5 s of drain (the calls stay on), then the goodbyes: far from 300 s, and
  // within the notice's 25 s.
  CHECK(took >= 3s);
  CHECK(took < 25s);
  check_ended_politely(st.dir, e, 3);
  auto log = st.node_log();
  CHECK(log.find("Spot interruption notice (terminate at") != std::string::npos);
  CHECK(log.find("drain capped to") != std::string::npos);
  // The group did not put the instance in Terminating:Wait: no action to complete.
  CHECK(fake.calls_of("CompleteLifecycleAction").empty());
  CHECK(log.find("no lifecycle action to complete") != std::string::npos);
}
