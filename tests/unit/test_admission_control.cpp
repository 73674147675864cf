// Admission of telephony connections: budgets per node, address and agent, capacity,
// draining and the caps on connections without start, on a made-up clock.
#include <catch2/catch.hpp>

#include "net/admission/admission_control.hpp"
#include "net/admission/token_bucket.hpp"

using namespace std::chrono_literals;
using sb::admission::admission_control;
using sb::admission::admission_limits;
using sb::admission::refusal;
using sb::admission::time_point;
using sb::admission::token_bucket;

namespace {

const time_point t0 = time_point{} + 1000s;

admission_limits limits() {
  admission_limits l;
  l.max_calls = 100;
  l.pending_per_ip = 100;
  l.pending_max = 1000;
  return l;
}

} // namespace

TEST_CASE("a token bucket refills continuously and says how long to wait") {
  token_bucket b(2, 1.0, t0);
  CHECK(b.take(t0));
  CHECK(b.take(t0));
  CHECK_FALSE(b.take(t0));
  CHECK(b.wait(t0) == 1000ms);
  CHECK(b.wait(t0 + 400ms) == 600ms);
  CHECK(b.take(t0 + 1s));
  CHECK_FALSE(b.full(t0 + 1s));
  CHECK(b.full(t0 + 3s));
  b.refund();  // never above capacity
  CHECK(b.tokens(t0 + 3s) == Approx(2.0));
}

TEST_CASE("calls_per_minute: a burst of the limit, then one call per 60/limit seconds") {
  auto l = limits();
  l.calls_per_minute = 2;
  admission_control a(l);
  auto k = a.key("10.0.0.1", "");
  CHECK(a.upgrade(k, 0, false, t0).admitted);
  CHECK(a.start(k, 0, false).admitted);
  CHECK(a.upgrade(k, 1, false, t0).admitted);
  CHECK(a.start(k, 1, false).admitted);
  auto v = a.upgrade(a.key("10.0.0.2", ""), 2, false, t0 + 1s);
  CHECK_FALSE(v.admitted);
  CHECK(v.why == refusal::node_rate);
  CHECK(v.status == 429);
  CHECK(v.error == "rate_limited");
  CHECK(v.reason == "more than 2 calls per minute on this node");
  CHECK(v.retry_after == 29s);  // one token per 30 s, 1 s gone
  CHECK(a.upgrade(k, 2, false, t0 + 30s).admitted);
}

TEST_CASE("a connection that never starts gives the node's and the agent's budget back") {
  auto l = limits();
  l.calls_per_minute = 1;
  l.per_agent_per_minute = 1;
  admission_control a(l);
  auto k = a.key("10.0.0.1", "sales");
  CHECK(a.upgrade(k, 0, false, t0).admitted);
  CHECK(a.pending() == 1);
  auto held = a.upgrade(a.key("10.0.0.2", "sales"), 0, false, t0);
  CHECK(held.why == refusal::node_rate);  // the pending one holds the token
  a.abandon(k);
  CHECK(a.pending() == 0);
  CHECK(a.upgrade(a.key("10.0.0.2", "sales"), 0, false, t0).admitted);
}

TEST_CASE("per_ip_per_minute is spent at the upgrade, trusted_ips are exempt") {
  auto l = limits();
  l.per_ip_per_minute = 2;
  l.trusted_ips = {"192.168.0.0/16", "2001:db8::/32"};
  admission_control a(l);
  auto k = a.key("10.0.0.1", "");
  CHECK(a.upgrade(k, 0, false, t0).admitted);
  a.abandon(k);  // never started: the address's budget stays spent
  CHECK(a.upgrade(k, 0, false, t0).admitted);
  a.abandon(k);
  auto v = a.upgrade(k, 0, false, t0);
  CHECK(v.why == refusal::ip_rate);
  CHECK(v.status == 429);
  CHECK(v.reason == "more than 2 calls per minute from this address");
  CHECK(a.upgrade(a.key("10.0.0.2", ""), 0, false, t0).admitted);  // another address
  for (auto ip : {"192.168.7.7", "2001:db8::5", "::ffff:192.168.1.1"}) {
    auto t = a.key(ip, "");
    CHECK(t.trusted);
    for (int i = 0; i < 5; ++i) {
      CHECK(a.upgrade(t, 0, false, t0).admitted);
      a.abandon(t);
    }
  }
  CHECK_FALSE(a.key("2001:db9::5", "").trusted);
}

TEST_CASE("per_agent_per_minute counts each route tag apart") {
  auto l = limits();
  l.per_agent_per_minute = 1;
  admission_control a(l);
  auto sales = a.key("10.0.0.1", "sales");
  CHECK(a.upgrade(sales, 0, false, t0).admitted);
  CHECK(a.start(sales, 0, false).admitted);
  auto v = a.upgrade(a.key("10.0.0.2", "sales"), 1, false, t0);
  CHECK(v.why == refusal::agent_rate);
  CHECK(v.reason == "more than 1 calls per minute for this agent");
  CHECK(v.retry_after == 60s);
  CHECK(a.upgrade(a.key("10.0.0.2", "support"), 1, false, t0).admitted);
  CHECK(a.upgrade(a.key("10.0.0.2", ""), 1, false, t0).admitted);
}

TEST_CASE("a refusal by one budget spends none of the others") {
  auto l = limits();
  l.per_ip_per_minute = 1;
  l.per_agent_per_minute = 1;
  admission_control a(l);
  auto first = a.key("10.0.0.1", "sales");
  CHECK(a.upgrade(first, 0, false, t0).admitted);
  CHECK(a.start(first, 0, false).admitted);
  // 10.0.0.2 is refused for the agent: its own budget stays whole.
  CHECK(a.upgrade(a.key("10.0.0.2", "sales"), 1, false, t0).why == refusal::agent_rate);
  CHECK(a.upgrade(a.key("10.0.0.2", "other"), 1, false, t0).admitted);
}

TEST_CASE("max_calls and draining answer 503, pending connections hold no call slot") {
  auto l = limits();
  l.max_calls = 2;
  admission_control a(l);
  auto k = a.key("10.0.0.1", "");
  for (int i = 0; i < 10; ++i)  // ten connections without start, no call active
    CHECK(a.upgrade(k, 0, false, t0).admitted);
  auto full = a.upgrade(k, 2, false, t0);
  CHECK(full.why == refusal::capacity);
  CHECK(full.status == 503);
  CHECK(full.error == "unavailable");
  CHECK(full.reason == "at capacity (node.max_calls = 2)");
  CHECK(a.start(k, 1, false).admitted);
  auto late = a.start(k, 2, false);  // the node filled up between upgrade and start
  CHECK(late.why == refusal::capacity);
  auto drain = a.upgrade(k, 0, true, t0);
  CHECK(drain.why == refusal::draining);
  CHECK(drain.status == 503);
  CHECK(drain.reason == "draining");
  CHECK(a.start(k, 0, true).why == refusal::draining);
  CHECK(a.pending() == 7);
}

TEST_CASE("connections without start are capped per address and in total") {
  auto l = limits();
  l.pending_per_ip = 2;
  l.pending_max = 3;
  l.start_timeout = 1500ms;
  admission_control a(l);
  auto k = a.key("10.0.0.1", "");
  CHECK(a.upgrade(k, 0, false, t0).admitted);
  CHECK(a.upgrade(k, 0, false, t0).admitted);
  auto v = a.upgrade(k, 0, false, t0);
  CHECK(v.why == refusal::pending_ip);
  CHECK(v.status == 429);
  CHECK(v.retry_after == 2s);  // the start timeout, whole seconds up
  CHECK(a.upgrade(a.key("10.0.0.2", ""), 0, false, t0).admitted);
  auto total = a.upgrade(a.key("10.0.0.3", ""), 0, false, t0);
  CHECK(total.why == refusal::pending_total);
  CHECK(total.status == 503);
  CHECK(a.start(k, 0, false).admitted);  // one of 10.0.0.1's starts: room again
  CHECK(a.pending("10.0.0.1") == 1);
  CHECK(a.upgrade(k, 1, false, t0).admitted);
}

TEST_CASE("full buckets are forgotten, so many addresses do not grow memory") {
  auto l = limits();
  l.per_ip_per_minute = 60;
  l.per_agent_per_minute = 60;
  admission_control a(l);
  for (int i = 0; i < 100; ++i) {
    auto k = a.key("10.0." + std::to_string(i) + ".1", "agent-" + std::to_string(i));
    REQUIRE(a.upgrade(k, 0, false, t0).admitted);
    a.abandon(k);
  }
  CHECK(a.tracked() == 100 + 100);
  a.prune(t0 + 500ms);  // half a token refilled: still remembered
  CHECK(a.tracked() == 100);  // agents got their token back at once
  a.prune(t0 + 1s);
  CHECK(a.tracked() == 0);
}
