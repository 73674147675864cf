// The provider pool on the test coordinator: every test runs on virtual time (no sleeps),
// so deadlines, refills, back-off and the breaker's open timeout are checked to the
// nanosecond. Requesters are hidden scoped actors; a reply is "there" when it sits in the
// requester's mailbox after sched.run().
#include <catch2/catch.hpp>

#include "tests/support/pool_fixture.hpp"

TEST_CASE_METHOD(fixture, "pool grants up to max_active and queues the rest in FIFO order") {
  auto pool = spawn(base_config(2));
  auto& a = client();
  auto& b = client();
  auto ha = acquire(a, pool, 1);
  auto hb = acquire(b, pool, 1);
  auto la = lease_of(a, ha);
  auto lb = lease_of(b, hb);
  CHECK(la.id != lb.id);
  CHECK(la.key_label == "k0");
  CHECK(la.waited_ms == 0);
  auto& c = client();
  auto& d = client();
  auto& e = client();
  auto hc = acquire(c, pool, 7);
  auto hd = acquire(d, pool, 8);
  auto he = acquire(e, pool, 9);
  CHECK(!answered(c));
  CHECK(!answered(d));
  CHECK(!answered(e));
  auto st = stats(pool);
  CHECK(st.active == 2);
  CHECK(st.queued == 3);
  REQUIRE(st.waiters.size() == 3);
  CHECK(st.waiters[0].ticket == 7);
  CHECK(st.waiters[1].ticket == 8);
  CHECK(st.waiters[2].ticket == 9);
  release(b, pool, lb.id);
  CHECK(answered(c));
  CHECK(!answered(d));
  CHECK(!answered(e));
  auto lc = lease_of(c, hc);
  CHECK(lc.ticket == 7);
  release(a, pool, la.id);
  CHECK(answered(d));
  CHECK(!answered(e));
  CHECK(lease_of(d, hd).ticket == 8);
  release(c, pool, lc.id);
  CHECK(lease_of(e, he).ticket == 9);
  st = stats(pool);
  CHECK(st.active == 2);
  CHECK(st.queued == 0);
  CHECK(st.acquired == 5);
  CHECK(st.released == 3);
  CHECK(st.acquired == st.released + st.reclaimed + st.active);
}

TEST_CASE_METHOD(fixture, "a queued request expires exactly at its own deadline") {
  auto pool = spawn(base_config(1));
  auto& holder = client();
  auto hh = acquire(holder, pool, 1);
  auto held = lease_of(holder, hh);
  auto& w = client();
  auto hw = acquire(w, pool, 1, 2s);
  advance(2s - ns1);
  CHECK(!answered(w));
  CHECK(stats(pool).queued == 1);
  advance(ns1);
  CHECK(error_of(w, hw) == sb::make_error(pool_errc::queue_timeout));
  auto st = stats(pool);
  CHECK(st.queued == 0);
  CHECK(st.timeouts == 1);
  // The slot freed later goes to nobody: the expired waiter is gone.
  release(holder, pool, held.id);
  CHECK(!answered(w));
  CHECK(stats(pool).active == 0);
  SECTION("the pool's queue_timeout caps a longer deadline") {
    auto hh2 = acquire(holder, pool, 2);
    lease_of(holder, hh2);
    auto hw2 = acquire(w, pool, 2, 60s);
    advance(30s - ns1);
    CHECK(!answered(w));
    advance(ns1);
    CHECK(error_of(w, hw2) == sb::make_error(pool_errc::queue_timeout));
  }
  SECTION("no deadline means the pool's queue_timeout") {
    auto hh2 = acquire(holder, pool, 2);
    lease_of(holder, hh2);
    auto hw2 = acquire(w, pool, 2);
    advance(30s - ns1);
    CHECK(!answered(w));
    advance(ns1);
    CHECK(error_of(w, hw2) == sb::make_error(pool_errc::queue_timeout));
  }
}

TEST_CASE_METHOD(fixture, "a full queue rejects at once") {
  auto cfg = base_config(1);
  cfg.max_queue = 1;
  auto pool = spawn(cfg);
  auto& a = client();
  auto ha = acquire(a, pool, 1);
  lease_of(a, ha);
  auto& b = client();
  acquire(b, pool, 1);
  CHECK(!answered(b));
  auto& c = client();
  auto hc = acquire(c, pool, 1);
  CHECK(error_of(c, hc) == sb::make_error(pool_errc::queue_full));
  CHECK(sys.render(sb::make_error(pool_errc::queue_full)) == "pool_error(queue_full)");
  auto st = stats(pool);
  CHECK(st.rejected == 1);
  CHECK(st.queued == 1);
}

TEST_CASE_METHOD(fixture, "a holder's death returns its lease to the next waiter") {
  auto pool = spawn(base_config(1));
  auto& w = client();
  {
    caf::scoped_actor holder{sys, true};
    auto hh = acquire(holder, pool, 1);
    lease_of(holder, hh);
    auto hw = acquire(w, pool, 5);
    CHECK(!answered(w));
    // holder goes out of scope without releasing
    (void) hw;
    auto st = stats(pool);
    REQUIRE(st.holders.size() == 1);
    CHECK(st.holders[0].holder == caf::to_string(holder->address()));
  }
  sched.run();
  REQUIRE(answered(w));
  auto st = stats(pool);
  CHECK(st.active == 1);
  CHECK(st.reclaimed == 1);
  CHECK(st.released == 0);
  REQUIRE(st.holders.size() == 1);
  CHECK(st.holders[0].holder == caf::to_string(w->address()));
  CHECK(st.holders[0].ticket == 5);
}

TEST_CASE_METHOD(fixture, "a waiter's death removes it from the queue") {
  auto pool = spawn(base_config(1));
  auto& holder = client();
  auto hh = acquire(holder, pool, 1);
  auto held = lease_of(holder, hh);
  {
    caf::scoped_actor gone{sys, true};
    acquire(gone, pool, 1);
    CHECK(stats(pool).queued == 1);
  }
  auto& w = client();
  auto hw = acquire(w, pool, 1);
  sched.run();
  auto st = stats(pool);
  CHECK(st.queued == 1);
  CHECK(st.abandoned == 1);
  release(holder, pool, held.id);
  CHECK(lease_of(w, hw).ticket == 1);
  CHECK(stats(pool).active == 1);
}

TEST_CASE_METHOD(fixture, "releasing twice is harmless and counted") {
  auto pool = spawn(base_config(1));
  auto& a = client();
  auto ha = acquire(a, pool, 1);
  auto l = lease_of(a, ha);
  release(a, pool, l.id);
  release(a, pool, l.id);
  release(a, pool, 999);
  auto st = stats(pool);
  CHECK(st.active == 0);
  CHECK(st.released == 1);
  CHECK(st.double_releases == 1);
  CHECK(st.unknown_releases == 1);
  // The slot is usable once, not twice.
  auto& b = client();
  auto& c = client();
  auto hb = acquire(b, pool, 1);
  lease_of(b, hb);
  acquire(c, pool, 1);
  CHECK(!answered(c));
}

TEST_CASE_METHOD(fixture, "a ticket cannot be reused while it is live") {
  auto pool = spawn(base_config(2));
  auto& a = client();
  auto h1 = acquire(a, pool, 4);
  auto l = lease_of(a, h1);
  auto h2 = acquire(a, pool, 4);
  CHECK(error_of(a, h2) == sb::make_error(pool_errc::duplicate_ticket));
  release(a, pool, l.id);
  auto h3 = acquire(a, pool, 4);
  CHECK(lease_of(a, h3).ticket == 4);
  // An anonymous acquire could never be answered or monitored: refused, nothing granted.
  caf::anon_send(pool, sb::pool_acquire{5, caf::timespan{0}, 0});
  sched.run();
  auto st = stats(pool);
  CHECK(st.rejected == 2);
  CHECK(st.active == 1);
}

TEST_CASE_METHOD(fixture, "cancel removes a queued request") {
  auto pool = spawn(base_config(1));
  auto& holder = client();
  auto hh = acquire(holder, pool, 1);
  auto held = lease_of(holder, hh);
  auto& w = client();
  auto hw = acquire(w, pool, 42);
  cancel(w, pool, 42);
  CHECK(error_of(w, hw) == sb::make_error(pool_errc::cancelled));
  auto st = stats(pool);
  CHECK(st.queued == 0);
  CHECK(st.cancelled == 1);
  release(holder, pool, held.id);
  CHECK(stats(pool).active == 0);
  // Cancelling from another actor (tickets are per requester) or twice does nothing.
  cancel(holder, pool, 42);
  cancel(w, pool, 42);
  CHECK(stats(pool).cancelled == 1);
}

TEST_CASE_METHOD(fixture, "cancel after the grant gives the lease back") {
  auto cfg = base_config(1);
  cfg.tokens_per_minute = 1000;
  auto pool = spawn(cfg);
  auto& holder = client();
  auto hh = acquire(holder, pool, 1);
  auto held = lease_of(holder, hh);
  auto& w = client();
  auto& next = client();
  auto hw = acquire(w, pool, 3, 0s, 300);
  auto hn = acquire(next, pool, 1);
  release(holder, pool, held.id);
  // The grant reached w's mailbox, but w has given up: it cancels instead of using it.
  CHECK(answered(w));
  CHECK(stats(pool).keys[0].tpm_available == 700);  // w's estimate is reserved
  cancel(w, pool, 3);
  auto late = lease_of(next, hn);
  auto st = stats(pool);
  CHECK(st.cancelled == 1);
  CHECK(st.released == 2);
  CHECK(st.active == 1);
  CHECK(st.keys[0].tpm_available == 1000);  // the unused estimate came back
  CHECK(st.breaker == sb::breaker_state::closed);
  // A release of the cancelled lease afterwards is a counted double release.
  auto lw = lease_of(w, hw);
  release(w, pool, lw.id);
  CHECK(stats(pool).double_releases == 1);
  CHECK(late.ticket == 1);
}

TEST_CASE_METHOD(fixture, "a returned slot is granted again only after reuse_delay") {
  auto c = base_config(1);
  c.reuse_delay = std::chrono::milliseconds{250};
  auto pool = spawn(c);
  auto& a = client();
  auto& b = client();
  auto ha = acquire(a, pool, 1);
  auto la = lease_of(a, ha);
  auto hb = acquire(b, pool, 1);
  CHECK(!answered(b));
  release(a, pool, la.id);
  // The provider may still count a's stream: b waits out the lock-delay.
  CHECK(!answered(b));
  auto st = stats(pool);
  CHECK(st.active == 0);
  REQUIRE(st.keys.size() == 1);
  CHECK(st.keys[0].cooling == 1);
  advance(250ms - ns1);
  CHECK(!answered(b));
  advance(ns1);
  auto lb = lease_of(b, hb);
  CHECK(lb.waited_ms == 250);
  CHECK(stats(pool).keys[0].cooling == 0);
}

TEST_CASE_METHOD(fixture, "a lease given back before its stream opened is free at once") {
  auto c = base_config(1);
  c.reuse_delay = std::chrono::milliseconds{250};
  auto pool = spawn(c);
  auto& a = client();
  auto& b = client();
  auto ha = acquire(a, pool, 1);
  (void) lease_of(a, ha);
  auto hb = acquire(b, pool, 2);
  cancel(a, pool, 1);  // granted, but never used
  auto lb = lease_of(b, hb);
  CHECK(lb.waited_ms == 0);
}

TEST_CASE_METHOD(fixture, "a reclaimed lease (its holder died) cools down like a released one") {
  auto c = base_config(1);
  c.reuse_delay = std::chrono::milliseconds{500};
  auto pool = spawn(c);
  auto& b = client();
  {
    caf::scoped_actor a{sys, true};
    auto ha = acquire(a, pool, 1);
    (void) lease_of(a, ha);
  }  // a goes away holding its lease: the pool reclaims it
  sched.run();
  CHECK(stats(pool).reclaimed == 1);
  auto hb = acquire(b, pool, 1);
  CHECK(!answered(b));
  advance(500ms);
  (void) lease_of(b, hb);
}
