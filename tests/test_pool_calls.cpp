// Provider limits held by the node's pools, end to end: real node, real simulator with
// per-key limits, many concurrent callers.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/idle.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/prometheus.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

using sb::test::get_json;
using sb::test::pools_idle;

const json& sim_key(const json& stats, const char* provider) {
  return stats[provider]["test-" + std::string(provider == std::string("stt") ? "dg"
                                                : provider == std::string("llm") ? "oa"
                                                                                  : "el")];
}

} // namespace

TEST_CASE("60 concurrent calls share 20 STT connections and 10 TTS streams, no refusal") {
  // Each caller speaks at once and then waits as long as it takes: 40 of them wait for
  // an STT stream while their words are kept (the default [call] settings). The
  // simulated provider, like a real one, still counts a closed stream for 100 ms: the
  // pools' default reuse_delay keeps a handed-on slot from meeting a 429.
  sb::test::stack st({"--tts-ms-per-char", "5", "--stt-limit", "20", "--tts-limit", "10",
                      "--release-lag", "100"},
                     {"pool.stt.max_active=20", "pool.tts.max_active=10",
                      "pool.stt.queue_timeout=90s", "pool.tts.queue_timeout=90s",
                      "node.max_calls=100"});
  sb::caller::engine e("127.0.0.1", st.node_port);
  for (int i = 0; i < 60; ++i) {
    sb::caller::script s;
    s.turns = 1;
    s.reply_timeout = 120s;
    e.add(s);
  }
  REQUIRE(e.run(240s));
  INFO(st.node_log());
  int answered = 0;
  for (auto& r : e.results())
    answered += r.turns_answered;
  CHECK(answered == 60);
  auto sim = get_json(st.sim_port, "/sim/stats");
  CHECK(sim_key(sim, "stt")["refused"] == 0);
  CHECK(sim_key(sim, "stt")["peak"] <= 20);
  CHECK(sim_key(sim, "stt")["peak"] >= 10);  // the limit was really exercised
  CHECK(sim["tts_elevenlabs"]["test-el"]["refused"] == 0);
  CHECK(sim["tts_elevenlabs"]["test-el"]["peak"] <= 10);
  CHECK(sb::test::wait_until([&] { return pools_idle(st.node_port); }));
  auto stt = get_json(st.node_port, "/api/v1/stats")["pools"]["stt"];
  CHECK(stt["total_acquired"] == 60);
  CHECK(stt["total_released"] == 60);
  CHECK(stt["capacity"] == 20);
  // The waits are in the pool's histogram: 60 grants, at most 20 of them at once.
  std::map<std::string, double> m;
  CHECK(sb::test::wait_until([&] {
    m = sb::test::parse_exposition(
      sb::test::http_request(st.node_port, "GET", "/metrics").body);
    return m[R"(switchboard_pool_wait_seconds_count{pool="stt"})"] == 60;
  }));
  CHECK(m[R"(switchboard_pool_wait_seconds_bucket{pool="stt",le="0"})"] <= 20);
  CHECK(m[R"(switchboard_pool_wait_seconds_bucket{pool="stt",le="+Inf"})"] == 60);
  CHECK(m[R"(switchboard_pool_wait_seconds_sum{pool="stt"})"] > 40 * 0.5);  // 40 waited a call
  CHECK(m[R"(switchboard_pool_queued{pool="stt"})"] == 0);
}

TEST_CASE("calls that wait past the deadline get the configured fallback, with a reason") {
  sb::test::stack st({"--tts-ms-per-char", "5", "--stt-limit", "2"},
                     {"pool.stt.max_active=2", "pool.stt.queue_timeout=1s",
                      "pool.stt.on_exhausted=end"});
  sb::caller::engine e("127.0.0.1", st.node_port);
  for (int i = 0; i < 6; ++i) {
    sb::caller::script s;
    s.turns = 2;
    e.add(s);
  }
  REQUIRE(e.run(60s));
  INFO(st.node_log());
  int served = 0, ended = 0;
  for (auto& r : e.results()) {
    if (r.turns_answered == 2) {
      ++served;
    } else {
      INFO("close " << r.close_code << " " << r.close_reason);
      CHECK(r.close_code == 4503);
      CHECK(r.close_reason.find("stt capacity exhausted") != std::string::npos);
      CHECK(r.close_reason.find("queue_timeout") != std::string::npos);
      ++ended;
    }
  }
  CHECK(served == 2);
  CHECK(ended == 4);
  auto sim = get_json(st.sim_port, "/sim/stats");
  CHECK(sim_key(sim, "stt")["refused"] == 0);
  auto metrics = sb::test::http_request(st.node_port, "GET", "/metrics").body;
  CHECK(metrics.find(R"(switchboard_call_fallbacks_total{action="end",provider="stt"} 4)") !=
        std::string::npos);
  CHECK(sb::test::wait_until([&] { return pools_idle(st.node_port); }));
}

TEST_CASE("a failing LLM opens the breaker, calls degrade, recovery closes it") {
  sb::test::stack st({"--tts-ms-per-char", "5"},
                     {"breaker.llm.failure_threshold=2", "breaker.llm.success_threshold=1",
                      "breaker.llm.open_timeout=1s"});
  REQUIRE(sb::test::http_request(st.sim_port, "POST", "/sim/faults", R"({"llm":"http500"})")
            .status == 200);
  auto calls = [&](int n) {
    sb::caller::engine e("127.0.0.1", st.node_port);
    for (int i = 0; i < n; ++i) {
      sb::caller::script s;
      s.turns = 2;
      e.add(s);
    }
    REQUIRE(e.run(60s));
    int answered = 0;
    for (auto& r : e.results())
      answered += r.turns_answered;
    return answered;
  };
  // Every turn is still answered: the apology, spoken.
  CHECK(calls(2) == 4);
  auto llm = get_json(st.node_port, "/api/v1/stats/pool");
  INFO(llm.dump());
  CHECK(sb::test::wait_until([&] {
    return get_json(st.node_port, "/api/v1/stats/pool")["pools"]["llm"]["breaker_opened"] >= 1;
  }));
  // While the breaker is open the node still takes calls, and says it is degraded.
  auto health = sb::test::http_request(st.node_port, "GET", "/health");
  CHECK(health.status == 200);
  CHECK(json::parse(health.body)["status"] == "degraded");
  // open, or half_open once open_timeout has passed: never closed before a probe succeeds
  CHECK(json::parse(health.body)["reason"].get<std::string>().rfind("llm: circuit breaker", 0) ==
        0);
  auto metrics = sb::test::http_request(st.node_port, "GET", "/metrics").body;
  CHECK(sb::test::parse_exposition(
          metrics)[R"(switchboard_call_fallbacks_total{action="wait",provider="llm"})"] >
        0);  // breaker_open answered at once: the apology
  // The provider recovers; after open_timeout a probe succeeds and the breaker closes.
  REQUIRE(sb::test::http_request(st.sim_port, "POST", "/sim/faults", R"({"llm":"none"})")
            .status == 200);
  CHECK(sb::test::wait_until([&] {
    return get_json(st.node_port, "/api/v1/stats/pool")["pools"]["llm"]["breaker"] !=
           "open";
  }));
  CHECK(calls(1) == 2);
  CHECK(sb::test::wait_until([&] {
    return get_json(st.node_port, "/api/v1/stats/pool")["pools"]["llm"]["breaker"] ==
           "closed";
  }));
  CHECK(sb::test::wait_until([&] { return pools_idle(st.node_port); }));
  auto warnings = get_json(st.node_port, "/api/v1/stats/pool")["warnings"];
  CHECK(warnings.is_array());
}

TEST_CASE("two STT keys double the capacity: limits are per key and leases spread") {
  sb::test::stack st({"--tts-ms-per-char", "5", "--stt-limit", "2"},
                     {"pool.stt.max_active=2", "pool.stt.queue_timeout=30s",
                      "stt.api_key_env=DG_KEY_1,DG_KEY_2,DG_KEY_UNSET"},
                     {"DG_KEY_1=dg-one", "DG_KEY_2=dg-two"});
  sb::caller::engine e("127.0.0.1", st.node_port);
  for (int i = 0; i < 8; ++i) {
    sb::caller::script s;
    s.turns = 1;
    e.add(s);
  }
  REQUIRE(e.run(60s));
  INFO(st.node_log());
  int answered = 0;
  for (auto& r : e.results())
    answered += r.turns_answered;
  CHECK(answered == 8);
  auto sim = get_json(st.sim_port, "/sim/stats")["stt"];
  for (auto key : {"dg-one", "dg-two"}) {
    INFO(key);
    CHECK(sim[key]["refused"] == 0);
    CHECK(sim[key]["peak"] == 2);  // both keys used to their limit
    CHECK(sim[key]["total"] == 4);
  }
  auto stt = get_json(st.node_port, "/api/v1/stats/pool")["pools"]["stt"];
  CHECK(stt["capacity"] == 4);
  CHECK(stt["keys"].size() == 2);
  CHECK(stt["keys"][0]["key"] == "DG_KEY_1");  // labels are env names, never key values
  auto metrics = sb::test::http_request(st.node_port, "GET", "/metrics").body;
  CHECK(metrics.find(R"(switchboard_pool_capacity{pool="stt"} 4)") != std::string::npos);
  CHECK(metrics.find("dg-one") == std::string::npos);
}

TEST_CASE("LLM replies slower than slow_threshold count as failures and open the breaker") {
  sb::test::stack st({"--tts-ms-per-char", "5", "--llm-first-token", "300"},
                     {"breaker.llm.failure_threshold=1", "breaker.llm.slow_threshold=100ms",
                      "breaker.llm.open_timeout=60s"});
  sb::caller::engine e("127.0.0.1", st.node_port);
  sb::caller::script s;
  s.turns = 2;
  e.add(s);
  REQUIRE(e.run(60s));
  INFO(st.node_log());
  CHECK(e.results()[0].turns_answered == 2);  // slow, then the apology: never silence
  CHECK(sb::test::wait_until([&] {
    auto llm = get_json(st.node_port, "/api/v1/stats/pool")["pools"]["llm"];
    return llm["breaker_opened"] == 1 && llm["total_failures"] == 1;
  }));
}
