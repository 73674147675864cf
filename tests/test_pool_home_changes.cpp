// When a pool's home changes, on virtual time (docs/design/cluster-leases.md, H8, H12):
// grants and renewal answers from an earlier home lease, another incarnation of the home
// or a restarted node's former process are refused; a home that waits for a member's
// report renews the reports it already has.
#include <catch2/catch.hpp>

#include "tests/support/lease_fixture.hpp"

TEST_CASE_METHOD(lease_fixture,
                 "a grant under an earlier home lease than one already seen is given back") {
  auto x_name = winning_name(), y_name = winning_name(x_name);
  auto x = sys.spawn(fake_home_impl, x_name, std::vector<uint64_t>{5});
  auto y = sys.spawn(fake_home_impl, y_name, std::vector<uint64_t>{3, 6});
  links.push_back(x);
  links.push_back(y);
  start({"h"});
  with_home(x_name, x);
  auto& a = client();
  auto ha = acquire(a, f["h"], 1);
  lease_of(a, ha);  // from x, under home lease epoch 5
  // The home moves to y, whose first grant is under a home lease older than 5: y was
  // replaced since (it does not know yet). Given back, and asked again 100 ms later.
  with_home(y_name, y);
  auto& b = client();
  auto hb = acquire(b, f["h"], 1);
  CHECK_FALSE(answered(b));
  CHECK(given_back(y) == std::vector<uint64_t>{101});
  step(200ms);
  auto lb = lease_of(b, hb);  // under epoch 6
  release(b, f["h"], lb.id);
  CHECK(given_back(y) == std::vector<uint64_t>{101, 102});
}

TEST_CASE_METHOD(lease_fixture, "renewal answers of another incarnation of the home are refused") {
  auto name = winning_name();
  auto home = sys.spawn(fake_home_impl, name, std::vector<uint64_t>{0});
  links.push_back(home);
  start({"h"});
  with_home(name, home);
  auto& a = client();
  auto ha = acquire(a, f["h"], 1);
  auto la = lease_of(a, ha);
  // Answers from the incarnation it reported to keep the lease...
  step(2 * ttl);
  CHECK(revoked(a).empty());
  // ...answers from another process of that node do not: revoked by its deadline.
  self->send(home, caf::put_atom_v, uint64_t{8});
  sched.run();
  auto t = until([&] { return !a->mailbox().empty(); }, 2 * ttl);
  CHECK(t <= caf::timespan{ttl});
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});
}
TEST_CASE_METHOD(lease_fixture,
                 "a restarted node's former process is refused its renewals and revokes") {
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto holder = others(all, home)[0];
  auto& a = client();
  auto ha = acquire(a, f[holder], 1);
  auto la = lease_of(a, ha);
  step(1000ms);
  CHECK(revoked(a).empty());
  // The same node name starts again (a new process, a new incarnation) and reports to
  // the home while the former process still runs (it was frozen and woke, say).
  auto again = sb::spawn_pool_front(sys, config(holder));
  links.push_back(caf::actor_cast<caf::actor>(again));
  sched.run();
  sb::pool_view v{holder, {}, false, {}};
  for (auto& n : all)
    v.members.push_back(sb::pool_member{n, n == holder ? again : fronts[n]});
  self->send(again, std::move(v));
  sched.run();
  // The former process' next renewal is answered "unknown": it revokes at once.
  auto t = until([&] { return !a->mailbox().empty(); }, ttl);
  CHECK(t <= caf::timespan{renew_every} + caf::timespan{100ms});
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});
}

TEST_CASE_METHOD(lease_fixture,
                 "a home that waits for a member's report renews the reports it has") {
  start(all);
  // Two nodes first: `former` is their home. Then `joiner` comes into the view and wins
  // the hash: it rebuilds and waits for both reports (no recovery: the former home is
  // still a member), but the former home's report cannot reach it (a blocked link).
  auto joiner = sb::pick_pool_home("test-pool", all);
  auto rest = others(all, joiner);
  auto former = sb::pick_pool_home("test-pool", rest);
  auto holder = others(rest, former)[0];
  view(former, rest);
  view(holder, rest);
  auto& a = client();
  auto ha = acquire(a, f[holder], 1);
  auto la = lease_of(a, ha);
  step(1000ms);
  auto link = make_link(joiner);
  self->send(link, block_atom::value);
  sched.run();
  view(joiner, all);
  view(holder, all);
  view(former, all, {{joiner, link}});
  auto& w = client();
  acquire(w, f[holder], 2);
  // Three TTLs later the holder's lease is still renewed by the waiting home, and that
  // home granted nothing while a member's leases were unknown to it.
  step(3 * ttl);
  CHECK(revoked(a).empty());
  CHECK(stats_of(holder).fenced == 0);
  CHECK_FALSE(answered(w));
  // The link passes again: the former home's report arrives when its adopt request is
  // sent again (after its 30 s timeout), and the home grants.
  self->send(link, pass_atom::value);
  sched.run();
  step(35s);
  auto& b = client();
  auto hb = acquire(b, f[holder], 3);
  auto lb = lease_of(b, hb);
  CHECK(revoked(a).empty());
  CHECK(stats_of(holder).fenced == 0);
  release(a, f[holder], la.id);
  release(b, f[holder], lb.id);
}
