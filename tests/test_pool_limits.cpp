// Pool limits beyond the queue: breaker, rate buckets, 429 back-off, keys, stats.

#include <catch2/catch.hpp>

#include "tests/support/pool_fixture.hpp"
#include "tests/support/round_trip.hpp"

TEST_CASE_METHOD(fixture, "the breaker opens, fails fast, probes and closes") {
  auto cfg = base_config(5);
  cfg.failure_threshold = 3;
  cfg.success_threshold = 2;
  cfg.open_timeout = std::chrono::milliseconds{10000};
  cfg.half_open_probes = 1;
  cfg.slow_threshold = std::chrono::milliseconds{500};
  auto pool = spawn(cfg);
  // 429s are not failures, however many.
  for (int i = 0; i < 5; ++i)
    cycle(pool, lease_outcome::rate_limited, -1, 0);
  auto st = stats(pool);
  CHECK(st.breaker == sb::breaker_state::closed);
  CHECK(st.consecutive_failures == 0);
  CHECK(st.rate_limited == 5);
  advance(60s);  // let the key recover from the 429s
  // A success resets the count of consecutive failures.
  cycle(pool, lease_outcome::failure);
  cycle(pool, lease_outcome::failure);
  CHECK(stats(pool).consecutive_failures == 2);
  cycle(pool, lease_outcome::ok, 100);
  CHECK(stats(pool).consecutive_failures == 0);
  // Five holders and three waiters; each failure frees a slot for the next waiter, and the
  // waiter still queued when the breaker opens is failed at once.
  std::vector<sb::pool_lease> held;
  for (uint64_t t = 1; t <= 5; ++t) {
    auto& c = client();
    auto h = acquire(c, pool, t);
    held.push_back(lease_of(c, h));
  }
  auto& w1 = client();
  auto& w2 = client();
  auto& w3 = client();
  auto hw1 = acquire(w1, pool, 1);
  auto hw2 = acquire(w2, pool, 1);
  auto hw3 = acquire(w3, pool, 1);
  CHECK(stats(pool).queued == 3);
  release(self, pool, held[0].id, lease_outcome::failure);
  release(self, pool, held[1].id, lease_outcome::slow);
  held.push_back(lease_of(w1, hw1));
  held.push_back(lease_of(w2, hw2));
  CHECK(stats(pool).breaker == sb::breaker_state::closed);
  // ok but slower than slow_threshold: the third failure.
  release(self, pool, held[2].id, lease_outcome::ok, -1, -1, 800);
  CHECK(error_of(w3, hw3) == sb::make_error(pool_errc::breaker_open));
  st = stats(pool);
  CHECK(st.breaker == sb::breaker_state::open);
  CHECK(st.breaker_opened == 1);
  CHECK(st.failures == 5);
  CHECK(st.breaker_open_ms == 10000);
  CHECK(st.queued == 0);
  // Open: fail fast.
  auto& f = client();
  auto hf = acquire(f, pool, 1);
  CHECK(error_of(f, hf) == sb::make_error(pool_errc::breaker_open));
  CHECK(stats(pool).breaker_rejected == 2);
  // Successes of leases granted before it opened prove nothing.
  for (size_t i = 3; i < held.size(); ++i)
    release(self, pool, held[i].id);
  CHECK(stats(pool).breaker == sb::breaker_state::open);
  CHECK(stats(pool).active == 0);
  advance(10s - ns1);
  CHECK(stats(pool).breaker == sb::breaker_state::open);
  advance(ns1);
  CHECK(stats(pool).breaker == sb::breaker_state::half_open);
  // Half-open: one probe at a time.
  auto& p1 = client();
  auto hp1 = acquire(p1, pool, 1);
  auto probe1 = lease_of(p1, hp1);
  auto& p2 = client();
  auto hp2 = acquire(p2, pool, 1);
  CHECK(error_of(p2, hp2) == sb::make_error(pool_errc::breaker_open));
  release(p1, pool, probe1.id);
  st = stats(pool);
  CHECK(st.breaker == sb::breaker_state::half_open);
  CHECK(st.half_open_successes == 1);
  SECTION("success_threshold probe successes close it") {
    cycle(pool, lease_outcome::ok);
    st = stats(pool);
    CHECK(st.breaker == sb::breaker_state::closed);
    CHECK(st.consecutive_failures == 0);
    auto& a = client();
    auto& b = client();
    auto ha = acquire(a, pool, 1);
    auto hb = acquire(b, pool, 1);
    lease_of(a, ha);
    lease_of(b, hb);  // no probe limit once closed
  }
  SECTION("a failure in half-open reopens it") {
    cycle(pool, lease_outcome::failure);
    st = stats(pool);
    CHECK(st.breaker == sb::breaker_state::open);
    CHECK(st.breaker_opened == 2);
    CHECK(st.breaker_open_ms == 10000);
  }
  SECTION("a 429 in half-open neither closes nor reopens it") {
    cycle(pool, lease_outcome::rate_limited);
    st = stats(pool);
    CHECK(st.breaker == sb::breaker_state::half_open);
    CHECK(st.half_open_successes == 1);
  }
}

TEST_CASE_METHOD(fixture, "the requests-per-minute bucket refills on virtual time") {
  auto cfg = base_config(10);
  cfg.kind = sb::provider_kind::llm;
  cfg.requests_per_minute = 2;  // one request token every 30 s
  cfg.queue_timeout = std::chrono::milliseconds{60000};
  auto pool = spawn(cfg);
  cycle(pool, lease_outcome::ok);
  cycle(pool, lease_outcome::ok);
  CHECK(stats(pool).keys[0].rpm_available == 0);
  auto& w = client();
  auto hw = acquire(w, pool, 1);
  CHECK(!answered(w));
  advance(30s - ns1);
  CHECK(!answered(w));
  advance(ns1);
  CHECK(lease_of(w, hw).waited_ms == 30000);
  auto st = stats(pool);
  CHECK(st.keys[0].rpm_available == 0);
  CHECK(st.keys[0].requests_per_minute == 2);
  advance(60s);
  CHECK(stats(pool).keys[0].rpm_available == 2);  // never above the per-minute amount
}

TEST_CASE_METHOD(fixture, "the tokens-per-minute bucket is charged by reported usage") {
  auto cfg = base_config(10);
  cfg.kind = sb::provider_kind::llm;
  cfg.tokens_per_minute = 1000;  // one token every 60 ms
  auto pool = spawn(cfg);
  auto& a = client();
  auto ha = acquire(a, pool, 1, 0s, 400);
  auto la = lease_of(a, ha);
  CHECK(stats(pool).keys[0].tpm_available == 600);  // the estimate is reserved
  release(a, pool, la.id, lease_outcome::ok, 900);
  CHECK(stats(pool).keys[0].tpm_available == 100);  // charged by actual usage
  auto& b = client();
  auto hb = acquire(b, pool, 1, 0s, 200);
  CHECK(!answered(b));
  advance(6s - ns1);
  CHECK(!answered(b));
  advance(ns1);
  auto lb = lease_of(b, hb);
  CHECK(stats(pool).keys[0].tpm_available == 0);
  release(b, pool, lb.id, lease_outcome::ok, 50);  // used less than estimated: refund
  CHECK(stats(pool).keys[0].tpm_available == 150);
  auto hc = acquire(b, pool, 2, 0s, 100);
  auto lc = lease_of(b, hc);
  release(b, pool, lc.id);  // usage not reported: the estimate stands
  CHECK(stats(pool).keys[0].tpm_available == 50);
}

TEST_CASE_METHOD(fixture, "a 429 blocks the key until retry-after, then the limit recovers") {
  auto cfg = base_config(3);
  cfg.queue_timeout = std::chrono::milliseconds{60000};
  cfg.backoff_cooldown = std::chrono::milliseconds{5000};
  cfg.backoff_step = 1;
  auto pool = spawn(cfg);
  auto& a = client();
  std::vector<sb::pool_lease> held;
  for (uint64_t t = 1; t <= 3; ++t) {
    auto h = acquire(a, pool, t);
    held.push_back(lease_of(a, h));
  }
  release(a, pool, held[2].id, lease_outcome::rate_limited, -1, 2000);
  auto st = stats(pool);
  CHECK(st.keys[0].rate_limited == 1);
  CHECK(st.keys[0].effective_limit == 2);
  CHECK(st.keys[0].blocked_ms == 2000);
  CHECK(st.effective_capacity == 2);
  CHECK(st.breaker == sb::breaker_state::closed);
  release(a, pool, held[1].id);  // a slot is free, but the key is blocked
  auto& d = client();
  auto hd = acquire(d, pool, 1);
  CHECK(!answered(d));
  advance(2s - ns1);
  CHECK(!answered(d));
  advance(ns1);
  lease_of(d, hd);
  // Now at the tightened limit (2 holders): the next request waits for a recovery step.
  auto& e = client();
  auto he = acquire(e, pool, 1);
  CHECK(!answered(e));
  advance(5s - ns1);
  CHECK(!answered(e));
  advance(ns1);
  lease_of(e, he);
  st = stats(pool);
  CHECK(st.keys[0].effective_limit == 3);
  CHECK(st.keys[0].active == 3);
  SECTION("unknown retry-after blocks for the default second") {
    release(a, pool, held[0].id, lease_outcome::rate_limited);
    st = stats(pool);
    CHECK(st.keys[0].blocked_ms == 1000);
    CHECK(st.keys[0].effective_limit == 2);
  }
}

TEST_CASE_METHOD(fixture, "leases spread across keys, least-loaded first, limits per key") {
  auto cfg = base_config(2);
  cfg.keys = {"key-a", "key-b"};
  auto pool = spawn(cfg);
  auto& c = client();
  std::vector<sb::pool_lease> held;
  for (uint64_t t = 1; t <= 4; ++t) {
    auto h = acquire(c, pool, t);
    held.push_back(lease_of(c, h));
  }
  CHECK(held[0].key_index == 0);
  CHECK(held[1].key_index == 1);
  CHECK(held[2].key_index == 0);
  CHECK(held[3].key_index == 1);
  CHECK(held[1].key_label == "key-b");
  auto& w = client();
  auto hw = acquire(w, pool, 1);
  CHECK(!answered(w));
  auto st = stats(pool);
  CHECK(st.capacity == 4);
  CHECK(st.utilization == Approx(1.0));
  REQUIRE(st.keys.size() == 2);
  CHECK(st.keys[0].active == 2);
  CHECK(st.keys[1].active == 2);
  release(c, pool, held[1].id);  // key-b has room now
  CHECK(lease_of(w, hw).key_index == 1);
  // key-b is rate limited: new grants go to key-a only.
  release(c, pool, held[0].id);
  release(c, pool, held[3].id, lease_outcome::rate_limited, -1, 10000);
  auto h5 = acquire(c, pool, 5);
  CHECK(lease_of(c, h5).key_index == 0);
  st = stats(pool);
  CHECK(st.keys[0].active == 2);
  CHECK(st.keys[1].active == 1);
  CHECK(st.keys[1].blocked_ms == 10000);
  CHECK(st.keys[0].acquired == 3);
  CHECK(st.keys[1].acquired == 3);
}

TEST_CASE_METHOD(fixture, "stats list holders and waiters with how long") {
  auto pool = spawn(base_config(1));
  auto& h = client();
  auto hh = acquire(h, pool, 11);
  auto held = lease_of(h, hh);
  advance(3s);
  auto& w = client();
  auto hw = acquire(w, pool, 12, 10s);
  advance(2s);
  auto st = stats(pool);
  CHECK(st.name == "test-pool");
  CHECK(st.kind == sb::provider_kind::stt);
  CHECK(st.active == 1);
  CHECK(st.queued == 1);
  CHECK(st.capacity == 1);
  CHECK(st.max_queue == 10);
  CHECK(st.utilization == Approx(1.0));
  REQUIRE(st.holders.size() == 1);
  CHECK(st.holders[0].lease_id == held.id);
  CHECK(st.holders[0].ticket == 11);
  CHECK(st.holders[0].held_ms == 5000);
  CHECK(st.holders[0].holder == caf::to_string(h->address()));
  REQUIRE(st.waiters.size() == 1);
  CHECK(st.waiters[0].ticket == 12);
  CHECK(st.waiters[0].requester == caf::to_string(w->address()));
  CHECK(st.waiters[0].waiting_ms == 2000);
  CHECK(st.waiters[0].remaining_ms == 8000);
  release(h, pool, held.id);
  CHECK(lease_of(w, hw).waited_ms == 2000);
  st = stats(pool);
  REQUIRE(st.wait_counts.size() == st.wait_bounds_ms.size() + 1);
  CHECK(st.wait_counts[0] == 1);  // the immediate grant
  size_t slot = 0;                // first bound >= 2000 ms
  while (st.wait_bounds_ms[slot] < 2000)
    ++slot;
  CHECK(st.wait_bounds_ms[slot] == 2500);
  CHECK(st.wait_counts[slot] == 1);
  uint64_t total = 0;
  for (auto n : st.wait_counts)
    total += n;
  CHECK(total == st.acquired);
  CHECK(st.utilization == Approx(1.0));
}

TEST_CASE_METHOD(fixture, "stopping the pool answers its waiters") {
  auto pool = spawn(base_config(1));
  auto& h = client();
  auto hh = acquire(h, pool, 1);
  lease_of(h, hh);
  auto& w = client();
  auto hw = acquire(w, pool, 1);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
  sched.run();
  CHECK(error_of(w, hw) == sb::make_error(pool_errc::shutting_down));
}

TEST_CASE("pool configs are validated") {
  sb::pool_config ok;
  CHECK(sb::validate(ok).empty());
  sb::pool_config bad;
  bad.keys = {"a", "a", ""};
  bad.max_active = 0;
  bad.backoff_cooldown = std::chrono::milliseconds{0};
  auto problems = sb::validate(bad);
  CHECK(problems.size() == 4);
}


TEST_CASE_METHOD(sb::test::round_trip_fixture, "pool messages round-trip through the binary serializer") {
  sb::pool_config c;
  c.name = "openai";
  c.kind = sb::provider_kind::llm;
  c.keys = {"openai-1", "openai-2"};
  c.requests_per_minute = 500;
  c.tokens_per_minute = 90000;
  c.slow_threshold = std::chrono::milliseconds{4000};
  auto s = round_trip(c);
  CHECK(s == caf::deep_to_string(c));
  CHECK(s.find("openai-2") != std::string::npos);
  sb::pool_acquire a{17, std::chrono::milliseconds{2500}, 640};
  CHECK(round_trip(a) == caf::deep_to_string(a));
  sb::pool_lease l{3, 17, 1, "openai-2", 120};
  CHECK(round_trip(l) == caf::deep_to_string(l));
  sb::pool_release r{3, 580, lease_outcome::rate_limited, 1500, 900};
  CHECK(round_trip(r) == caf::deep_to_string(r));
  CHECK(round_trip(sb::pool_cancel{17}) == caf::deep_to_string(sb::pool_cancel{17}));
  sb::pool_stats st;
  st.name = "openai";
  st.active = 2;
  st.utilization = 0.25;
  st.double_releases = 1;
  st.wait_bounds_ms = {0, 10};
  st.wait_counts = {4, 1, 0};
  st.breaker = sb::breaker_state::half_open;
  st.keys.push_back(sb::pool_key_stats{"openai-1", 4, 3, 2, 500, 9, 1, 500, 90000, 498, -20});
  st.holders.push_back(sb::pool_holder{3, "7@node", 17, 0, 1200});
  st.waiters.push_back(sb::pool_waiter{18, "8@node", 300, 2200});
  auto ss = round_trip(st);
  CHECK(ss == caf::deep_to_string(st));
  CHECK(ss.find("7@node") != std::string::npos);
  auto err = sb::make_error(pool_errc::breaker_open);
  CHECK(sys.render(err) == "pool_error(breaker_open)");
}
