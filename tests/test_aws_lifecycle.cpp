// The node on EC2, against the loopback fake of IMDSv2 and Auto Scaling
// (tests/support/aws_fake.py): a scale-in (the target lifecycle state turns Terminated)
// drains 30 calls politely, heartbeats the lifecycle action while they remain and
// completes it once; a Spot notice caps the drain to its time; a node leaving a two-node
// cluster that way leaves no provider lease behind.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sqlite3.h>

#include <map>
#include <memory>
#include <thread>

#include "tests/support/aws_fake.hpp"
#include "tests/support/pool_cluster.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/sqlite_rows.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::test::get_json;

namespace {

using sb::test::query;

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
void check_ended_politely(const std::string& dir, const sb::caller::engine& e, size_t n,
                          const std::string& db_name = "transcripts.db") {
  const auto db = dir + "/" + db_name;
  auto calls = query(db, "SELECT call_id, status, end_reason FROM calls");
  CHECK(calls.size() == n);
  for (auto& c : calls) {
    INFO("call " << c["call_id"]);
    CHECK(c["status"] == "ended");
    CHECK(c["end_reason"] == "shutdown");
  }
  sb::test::check_goodbye_last(db, n, goodbye);
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

namespace {

// Staying callers on one node, run on their own thread; joined when it goes (declare it
// before the nodes: a failed check kills them first, which ends the calls).
struct caller_thread {
  sb::caller::engine e;
  std::thread t;
  caller_thread(uint16_t port, int n) : e("127.0.0.1", port) {
    add_staying_callers(e, n);
    t = std::thread([this] { e.run(100s); });
  }
  ~caller_thread() { join(); }
  void join() {
    if (t.joinable())
      t.join();
  }
};

// Open streams (or requests) at the simulator, over every key of `api` ("stt",
// "tts_elevenlabs", "llm").
uint64_t sim_open(uint16_t sim_port, const std::string& api) {
  auto stats = get_json(sim_port, "/sim/stats");
  uint64_t n = 0;
  for (auto& u : stats[api])
    n += u.value("current", uint64_t{0});
  return n;
}

nlohmann::json pool_at(const sb::test::cluster_node& n, const std::string& pool) {
  return get_json(n.http_port, "/api/v1/stats/pool")["pools"][pool];
}

} // namespace

TEST_CASE("scale-in of a cluster member: its calls end politely, it leaves no provider "
          "lease behind and the survivor grants the whole limit") {
  const int leaving = 12, staying = 3, limit = 20;
  std::vector<std::unique_ptr<caller_thread>> callers;  // before the nodes (see above)
  sb::test::aws_fake fake;  // node-1's instance metadata; node-2 reads none
  auto dir = sb::test::temp_dir("sb-scale-in");
  sb::test::child sim;
  auto sim_port = sb::test::start_sim(
    dir, {"--stt-limit", std::to_string(limit), "--tts-ms-per-char", "5"}, sim);
  auto p = std::to_string(sim_port);
  std::vector<std::string> sets{
    "cluster.secret=scale-in-secret", "cluster.heartbeat_interval=100ms",
    "cluster.failure_timeout=1s", "stt.url=ws://127.0.0.1:" + p,
    "llm.url=http://127.0.0.1:" + p + "/v1", "tts.url=http://127.0.0.1:" + p,
    "pool.stt.max_active=" + std::to_string(limit), "pool.stt.queue_timeout=60s",
    "pool.tts.max_active=20", "pool.tts.queue_timeout=30s", "pool.llm.max_active=40",
    "node.max_calls=100", "node.drain_timeout=2s", "batcher.max_delay=60s",
    "call.stt_buffer=60s"};
  const std::vector<std::string> env{"DEEPGRAM_API_KEY=test-dg", "OPENAI_API_KEY=test-oa",
                                     "ELEVENLABS_API_KEY=test-el"};
  auto leaving_sets = sets;
  for (auto& s : fake.node_sets("drain-hook"))
    leaving_sets.push_back(s);
  leaving_sets.push_back("aws.heartbeat_interval=200ms");
  // Rendezvous hashing on these names makes node-2 the home of [pool.stt] and [pool.tts]:
  // node-1's calls hold their leases there. node-1 is the home of [pool.llm] and hands it
  // over as it leaves.
  std::vector<sb::test::cluster_node> nodes;
  nodes.push_back(sb::test::start_cluster_node(dir, "node-1", "", 0, leaving_sets, env));
  nodes.push_back(
    sb::test::start_cluster_node(dir, "node-2", nodes[0].cluster_address, 0, sets, env));
  auto& gone = nodes[0];
  auto& survivor = nodes[1];
  std::string stt_home, tts_home;
  REQUIRE(sb::test::wait_until(
    [&] {
      return sb::test::cluster_settled(nodes, {0, 1}, "stt", stt_home) &&
             sb::test::cluster_settled(nodes, {0, 1}, "tts", tts_home);
    },
    30s));
  REQUIRE(stt_home == "node-2");
  REQUIRE(tts_home == "node-2");

  callers.push_back(std::make_unique<caller_thread>(gone.http_port, leaving));
  callers.push_back(std::make_unique<caller_thread>(survivor.http_port, staying));
  auto& on_gone = callers[0]->e;
  // Every call answered, and the home counts all their STT leases, node-1's among them.
  bool answered = sb::test::wait_until(
    [&] {
      return on_gone.stats().answered == leaving &&
             callers[1]->e.stats().answered == staying &&
             get_json(gone.http_port, "/api/v1/stats")["active_calls"] == leaving &&
             pool_at(gone, "stt").value("node_active", 0) == leaving &&
             pool_at(survivor, "stt").value("active", 0) == leaving + staying;
    },
    60s);
  bool watching = sb::test::wait_until([&] {
    return gone.log().find("Auto Scaling group switchboard-nodes") != std::string::npos;
  });
  CHECK(fake.calls().empty());

  fake.set({{"lifecycle_state", "Terminated"}});
  bool draining = sb::test::wait_until(
    [&] { return sb::test::http_request(gone.http_port, "GET", "/health").status == 503; });
  const int code = gone.proc.wait_exit(60s);
  auto exited = std::chrono::steady_clock::now();
  callers[0]->join();
  INFO("--- node-1\n" << gone.log() << "--- node-2\n" << survivor.log());
  REQUIRE(answered);
  CHECK(watching);
  CHECK(draining);
  CHECK(code == 0);
  check_ended_politely(dir, on_gone, leaving, "node-1-transcripts.db");
  auto calls = fake.calls();
  INFO(calls.dump(1));
  check_well_signed(calls);
  CHECK(fake.calls_of("RecordLifecycleActionHeartbeat").size() >= 2);
  REQUIRE(fake.calls_of("CompleteLifecycleAction").size() == 1);
  CHECK(calls.back()["action"] == "CompleteLifecycleAction");
  auto log = gone.log();
  CHECK(log.find("lifecycle action completed") > log.find("transcripts: everything written"));

  // The survivor, alone and the home of every pool, counts only its own calls' leases
  // (alone, it rebuilds each pool from the leases its own calls hold), and the simulator
  // has only the survivor's streams open: node-1's calls closed theirs.
  nlohmann::json stt, tts, llm;
  bool clean = sb::test::wait_until(
    [&] {
      stt = pool_at(survivor, "stt");
      tts = pool_at(survivor, "tts");
      llm = pool_at(survivor, "llm");
      return sb::test::member_states(survivor.http_port)["node-1"] != "up" &&
             llm.value("home", "") == "node-2" && stt.value("active", -1) == staying &&
             stt.value("node_active", -1) == staying &&
             stt["holders"].size() == size_t(staying) && tts.value("active", -1) == 0 &&
             llm.value("active", -1) == 0 && sim_open(sim_port, "stt") == uint64_t(staying) &&
             sim_open(sim_port, "tts_elevenlabs") == 0;
    },
    10s);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - exited);
  INFO("stt " << stt.dump() << "\ntts " << tts.dump() << "\nllm " << llm.dump()
              << "\nsim " << get_json(sim_port, "/sim/stats").dump() << "\nmembers "
              << nlohmann::json(sb::test::member_states(survivor.http_port)).dump()
              << "\nclean " << took.count() << " ms after the exit");
  CHECK(clean);

  // The whole limit again: as many more calls as it leaves all get a stream at once.
  callers.push_back(std::make_unique<caller_thread>(survivor.http_port, limit - staying));
  bool full = sb::test::wait_until(
    [&] {
      stt = pool_at(survivor, "stt");
      return callers[2]->e.stats().answered == limit - staying &&
             stt.value("active", 0) == limit && stt.value("queued", 1) == 0 &&
             sim_open(sim_port, "stt") == uint64_t(limit);
    },
    60s);
  INFO("stt " << stt.dump() << "\nsim " << get_json(sim_port, "/sim/stats").dump()
              << "\nanswered " << callers[2]->e.stats().answered);
  CHECK(full);
  auto sim_stt = get_json(sim_port, "/sim/stats")["stt"]["test-dg"];
  INFO(sim_stt.dump());
  CHECK(sim_stt["refused"] == 0);
  CHECK(sim_stt["peak"] <= limit);

  CHECK(survivor.proc.stop(SIGTERM, 60s) == 0);
  callers[1]->join();
  callers[2]->join();
  CHECK(sim_open(sim_port, "stt") == 0);
  CHECK(sim_open(sim_port, "tts_elevenlabs") == 0);
}
