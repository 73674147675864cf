// /health from the stores' state (runtime/store_health): a store whose writes fail, or
// whose write has been in flight for more than 2 s, is degraded; one failing for 10 s is
// an error. And through a real node whose Redis session backend is gone: its calls go on,
// /health says degraded, then error (503), naming the backend.
#include <catch2/catch.hpp>

#include "runtime/store_health.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::net::backend_state;

TEST_CASE("store health: ok, slow while failing or slow to answer, unreachable after 10 s") {
  sb::store_health_inputs in{"transcripts", "sqlite:t.db", 100000, 0, 0, 0, ""};
  CHECK(sb::store_health(in).state == backend_state::ok);
  in.inflight_since_ms = 100000 - 1999;
  CHECK(sb::store_health(in).state == backend_state::ok);
  in.inflight_since_ms = 100000 - 2000;
  auto slow = sb::store_health(in);
  CHECK(slow.state == backend_state::slow);
  CHECK(slow.reason == "sqlite:t.db: a write has taken 2000 ms, 0 waiting in memory");
  in.inflight_since_ms = 0;
  in.failing_since_ms = 100000 - 9999;
  in.waiting = 412;
  in.last_error = "database is locked";
  auto failing = sb::store_health(in);
  CHECK(failing.state == backend_state::slow);
  CHECK(failing.reason ==
        "sqlite:t.db: writes failing for 9 s (database is locked), 412 waiting in memory");
  in.failing_since_ms = 100000 - 10000;
  CHECK(sb::store_health(in).state == backend_state::unreachable);
  in.shared = true;  // Redis, PostgreSQL: every node would fail at once
  CHECK(sb::store_health(in).state == backend_state::slow);
}

TEST_CASE("a node whose Redis session backend is gone goes on taking calls, degraded") {
  auto dir = sb::test::temp_dir("sb-store-health");
  sb::test::redis_server redis(dir);
  auto url = redis.url();
  redis.stop();  // configured, but not there
  sb::test::stack st({"--tts-ms-per-char", "5"}, {"sessions.backend=" + url});
  CHECK(sb::test::get_json(st.node_port, "/health")["status"] == "ok");  // nothing written yet
  sb::caller::engine e("127.0.0.1", st.node_port);
  sb::caller::script s;
  s.turns = 1;
  e.add(s, 0ms);
  REQUIRE(e.run(60s));
  CHECK(e.results()[0].turns_answered == 1);  // the call did not wait on Redis
  auto mentions = [&](const nlohmann::json& h, const std::string& what) {
    for (auto& r : h["reasons"])
      if (r.get<std::string>().find(what) != std::string::npos)
        return true;
    return false;
  };
  REQUIRE(sb::test::wait_until([&] {
    auto h = sb::test::get_json(st.node_port, "/health");
    return h["status"] == "degraded" && mentions(h, "sessions slow: " + url);
  }));
  // Failing for 10 s and more, still degraded, not error: the backend is the fleet's, and
  // 503 on every node would leave the load balancer nowhere to send calls.
  REQUIRE(sb::test::wait_until(
    [&] {
      auto h = sb::test::get_json(st.node_port, "/health");
      const std::string head = "sessions slow: " + url + ": writes failing for ";
      for (auto& r : h["reasons"]) {
        auto t = r.get<std::string>();
        if (t.rfind(head, 0) == 0 && std::atoi(t.c_str() + head.size()) >= 10)
          return true;
      }
      return false;
    },
    30s));
  auto r = sb::test::http_request(st.node_port, "GET", "/health");
  CHECK(r.status == 200);
  CHECK(nlohmann::json::parse(r.body, nullptr, false)["status"] == "degraded");
  auto stats = sb::test::get_json(st.node_port, "/api/v1/stats")["session_store"];
  CHECK(stats["write_failures"].get<int>() >= 1);
  CHECK(stats["waiting"].get<int>() == 0);  // the call was over: its snapshot went
  // Back: the waiting writes go through and the node is healthy again.
  redis.restart();
  CHECK(sb::test::wait_until([&] {
    return sb::test::get_json(st.node_port, "/health")["status"] == "ok";
  }, 30s));
}
