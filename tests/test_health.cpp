// GET /health, state by state: ok, degraded (calls over 80 % of node.max_calls, a
// breaker not closed, a pool over 90 %, a slow backend), overload, draining and error
// (a backend unreachable), with the status code a load balancer acts on and the reason.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>

#include <nlohmann/json.hpp>

#include "net/io/health.hpp"
#include "net/io/io_loop.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;
using sb::net::backend_health;
using sb::net::backend_state;
using sb::net::evaluate_health;
using sb::net::health_inputs;
using sb::test::raw_ws;

namespace {

struct health {
  int status = 0;
  json body;
};

health get_health(uint16_t port) {
  auto r = sb::test::http_request(port, "GET", "/health");
  return {r.status, json::parse(r.body, nullptr, false)};
}

// Waits until /health says `status`; returns the last answer.
health wait_health(uint16_t port, const std::string& status) {
  health h;
  sb::test::wait_until([&] {
    h = get_health(port);
    return h.body.is_object() && h.body.value("status", "") == status;
  });
  INFO(h.body.dump());
  CHECK(h.body.value("status", "") == status);
  return h;
}

std::string reason(const health& h) { return h.body.value("reason", ""); }

// A caller that has sent start: it holds a call slot.
raw_ws call(uint16_t port, const std::string& sid) {
  raw_ws c("127.0.0.1", port);
  REQUIRE(c.ok());
  REQUIRE(c.upgrade("/ws/twilio").status == 101);
  REQUIRE(c.send_twilio_start(sid));
  return c;
}

bool sessions_are(uint16_t port, int n) {
  return sb::test::get_json(port, "/api/v1/stats").value("sessions", -1) == n;
}

} // namespace

TEST_CASE("health rules: the status and the first reason follow the most severe state") {
  health_inputs in;
  in.max_calls = 10;
  auto r = evaluate_health(in);
  CHECK(r.status == "ok");
  CHECK(r.http_status == 200);
  CHECK(r.reasons == std::vector<std::string>{"taking calls: 0 of 10 calls (node.max_calls)"});
  in.active_calls = 8;  // 80 %: not over
  CHECK(evaluate_health(in).status == "ok");
  in.active_calls = 9;
  r = evaluate_health(in);
  CHECK(r.status == "degraded");
  CHECK(r.http_status == 200);
  CHECK(r.reasons.front() == "over 80 % of capacity: 9 of 10 calls (node.max_calls)");
  in.backends.push_back({"sessions", backend_state::slow, "GET took 1200 ms"});
  r = evaluate_health(in);
  CHECK(r.status == "degraded");
  CHECK(r.reasons.size() == 2);
  CHECK(r.reasons[1] == "sessions slow: GET took 1200 ms");
  in.active_calls = 10;
  r = evaluate_health(in);
  CHECK(r.status == "overload");
  CHECK(r.http_status == 503);
  CHECK(r.reasons.front() == "at capacity: 10 of 10 calls (node.max_calls)");
  in.backends.push_back({"coordinator", backend_state::unreachable, "connection refused"});
  r = evaluate_health(in);
  CHECK(r.status == "error");
  CHECK(r.http_status == 503);
  CHECK(r.reasons.front() == "coordinator unreachable: connection refused");
  in.draining = true;
  r = evaluate_health(in);
  CHECK(r.status == "draining");
  CHECK(r.http_status == 503);
  CHECK(r.reasons.front() == "draining: no new calls");
  CHECK(r.reasons.size() == 4);  // and everything else that is wrong, after it
  health_inputs pools;
  pools.max_calls = 10;
  pools.degraded = {"llm: circuit breaker open"};
  r = evaluate_health(pools);
  CHECK(r.status == "degraded");
  CHECK(r.reasons == std::vector<std::string>{"llm: circuit breaker open"});
}

TEST_CASE("health: ok, degraded over 80 % of max_calls, overload at max_calls") {
  sb::test::stack st({"--tts-ms-per-char", "5"}, {"node.max_calls=6"});
  auto h = get_health(st.node_port);
  CHECK(h.status == 200);
  CHECK(h.body["status"] == "ok");
  CHECK(reason(h) == "taking calls: 0 of 6 calls (node.max_calls)");
  CHECK(h.body["node"] == "node-1");
  std::vector<raw_ws> calls;
  for (int i = 0; i < 4; ++i)
    calls.push_back(call(st.node_port, "CA" + std::to_string(i)));
  REQUIRE(sb::test::wait_until([&] { return sessions_are(st.node_port, 4); }));
  CHECK(get_health(st.node_port).body["status"] == "ok");  // 4 of 6: 67 %
  calls.push_back(call(st.node_port, "CA4"));
  h = wait_health(st.node_port, "degraded");
  CHECK(h.status == 200);
  CHECK(reason(h) == "over 80 % of capacity: 5 of 6 calls (node.max_calls)");
  CHECK(h.body["active_calls"] == 5);
  calls.push_back(call(st.node_port, "CA5"));
  h = wait_health(st.node_port, "overload");
  CHECK(h.status == 503);
  CHECK(reason(h) == "at capacity: 6 of 6 calls (node.max_calls)");
  calls.clear();  // the callers hang up: back to ok
  h = wait_health(st.node_port, "ok");
  CHECK(h.status == 200);
}

TEST_CASE("health: degraded while a pool is over 90 % of its capacity") {
  sb::test::stack st({"--tts-ms-per-char", "5"}, {"pool.stt.max_active=2"});
  auto a = call(st.node_port, "CA1");
  auto b = call(st.node_port, "CA2");
  auto h = wait_health(st.node_port, "degraded");
  CHECK(h.status == 200);
  CHECK(reason(h) == "stt: pool over 90 % (2 of 2 in use, 0 queued)");
  a.drop();
  b.drop();
  CHECK(wait_health(st.node_port, "ok").status == 200);
}

TEST_CASE("health: degraded while a breaker is open") {
  sb::test::stack st({"--tts-ms-per-char", "5"},
                     {"breaker.stt.failure_threshold=1", "breaker.stt.open_timeout=60s"});
  REQUIRE(sb::test::http_request(st.sim_port, "POST", "/sim/faults", R"({"stt":"http500"})")
            .status == 200);
  auto c = call(st.node_port, "CA1");  // its STT stream fails: the breaker opens
  auto h = wait_health(st.node_port, "degraded");
  CHECK(h.status == 200);
  CHECK(reason(h) == "stt: circuit breaker open");
}

TEST_CASE("health: draining answers 503 until the node has stopped") {
  sb::test::stack st({"--tts-ms-per-char", "5"}, {"node.drain_timeout=30s"});
  auto c = call(st.node_port, "CA1");
  REQUIRE(sb::test::wait_until([&] { return sessions_are(st.node_port, 1); }));
  kill(st.node.pid(), SIGTERM);
  auto h = wait_health(st.node_port, "draining");
  CHECK(h.status == 503);
  CHECK(reason(h) == "draining: no new calls");
  c.drop();
  CHECK(st.node.wait_exit(30s) == 0);
}

TEST_CASE("health: a backend check turns slow into degraded and unreachable into error") {
  std::atomic<int> state{0};
  sb::net::io_options o;
  o.listen = {"127.0.0.1", 0};
  o.max_calls = 10;
  o.spawn_call = [](const sb::call_spawn_info&) { return caf::actor{}; };
  o.backends.push_back([&] {
    return backend_health{"sessions", static_cast<backend_state>(state.load()),
                          state == 0 ? "" : "redis://127.0.0.1:6390: no answer in 2 s"};
  });
  sb::net::io_loop loop(std::move(o));
  std::string err;
  REQUIRE(loop.start(err));
  auto h = get_health(loop.port());
  CHECK(h.status == 200);
  CHECK(h.body["status"] == "ok");
  CHECK(h.body["backends"]["sessions"]["state"] == "ok");
  state = static_cast<int>(backend_state::slow);
  h = get_health(loop.port());
  CHECK(h.status == 200);
  CHECK(h.body["status"] == "degraded");
  CHECK(reason(h) == "sessions slow: redis://127.0.0.1:6390: no answer in 2 s");
  state = static_cast<int>(backend_state::unreachable);
  h = get_health(loop.port());
  CHECK(h.status == 503);
  CHECK(h.body["status"] == "error");
  CHECK(reason(h) == "sessions unreachable: redis://127.0.0.1:6390: no answer in 2 s");
  CHECK(h.body["backends"]["sessions"]["state"] == "unreachable");
  loop.stop(0ms);
}
