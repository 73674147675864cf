// The node on EC2 when AWS misbehaves (tests/support/aws_fake.py): IMDS unreachable,
// IMDS refusing the token, Auto Scaling answering 400. Each is logged clearly and retried;
// the node keeps serving, drains and exits 0.
#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

#include "tests/support/aws_fake.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::test::get_json;

namespace {

bool logged(const sb::test::stack& st, const std::string& text) {
  return sb::test::wait_until(
    [&] { return st.node_log().find(text) != std::string::npos; }, 20s);
}

} // namespace

TEST_CASE("IMDS unreachable: the watcher logs each failed attempt and retries; the node "
          "serves and stops as usual") {
  // A loopback port where nothing listens.
  auto closed = sb::test::free_loopback_port();
  sb::test::stack st({}, {"aws.lifecycle=imds", "aws.lifecycle_hook=drain-hook",
                          "aws.poll_interval=100ms", "aws.request_timeout=500ms",
                          "aws.imds_url=http://127.0.0.1:" + std::to_string(closed)});
  CHECK(logged(st, "aws: cannot read the instance's identity: IMDS meta-data/instance-id: IMDS token (PUT "
                   "http://127.0.0.1:" + std::to_string(closed) + "/latest/api/token)"));
  CHECK(logged(st, "(attempt 3, retrying every 100 ms)"));
  CHECK(sb::test::http_request(st.node_port, "GET", "/health").status == 200);
  CHECK(st.node.stop(SIGTERM) == 0);
  CHECK(st.node_log().find("no lifecycle action to complete") != std::string::npos);
}

TEST_CASE("IMDS refusing the token (401): logged, retried with a new token, and once IMDS "
          "answers the scale-in completes") {
  sb::test::aws_fake fake;
  fake.set({{"imds", "reject_tokens"}});
  sb::test::stack st({}, fake.node_sets("drain-hook"));
  CHECK(logged(st, "IMDS meta-data/instance-id: HTTP 401"));
  CHECK(logged(st, "(attempt 2, retrying"));
  // Each 401 is followed by a fresh token before the failure counts.
  int puts = 0;
  for (auto& r : fake.imds_log())
    puts += r["method"] == "PUT";
  CHECK(puts >= 4);
  fake.set({{"imds", "ok"}});
  CHECK(logged(st, "aws: instance i-0123456789abcdef0 in eu-west-1"));
  fake.set({{"lifecycle_state", "Terminated"}});
  CHECK(st.node.wait_exit(60s) == 0);
  CHECK(fake.calls_of("CompleteLifecycleAction").size() == 1);
}

TEST_CASE("Auto Scaling answering 400: every heartbeat and the completion log the error "
          "code and message, the heartbeats go on, the completion is tried 3 times, exit 0") {
  sb::test::aws_fake fake;
  fake.set({{"autoscaling_error", 400}});
  auto sets = fake.node_sets("drain-hook");
  for (auto s : {"aws.heartbeat_interval=200ms", "node.drain_timeout=2s"})
    sets.push_back(s);
  sb::test::stack st({"--tts-ms-per-char", "5"}, sets);
  sb::caller::engine e("127.0.0.1", st.node_port);
  for (int i = 0; i < 2; ++i) {
    sb::caller::script s;
    s.turns = 1;
    s.stay_after_turns = true;
    s.max_duration = 120s;
    e.add(s, 0ms);
  }
  std::thread callers([&] { e.run(90s); });
  bool answered = sb::test::wait_until([&] { return e.stats().answered == 2; }, 60s);
  CHECK(logged(st, "Auto Scaling group switchboard-nodes"));
  fake.set({{"lifecycle_state", "Terminated"}});
  const int code = st.node.wait_exit(60s);
  callers.join();
  REQUIRE(answered);
  CHECK(code == 0);
  auto log = st.node_log();
  CHECK(log.find("aws: RecordLifecycleActionHeartbeat (i-0123456789abcdef0 drain-hook in "
                 "switchboard-nodes): HTTP 400 ValidationError: No active Lifecycle Action "
                 "found with instance ID i-0123456789abcdef0") != std::string::npos);
  CHECK(log.find("CompleteLifecycleAction failed 3 times") != std::string::npos);
  CHECK(fake.calls_of("RecordLifecycleActionHeartbeat").size() >= 2);
  CHECK(fake.calls_of("CompleteLifecycleAction").size() == 3);
}
