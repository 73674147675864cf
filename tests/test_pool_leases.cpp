// Lease expiry across nodes on virtual time (docs/design/cluster-leases.md): three nodes'
// pool fronts in one actor system with lease_ttl 3 s, renewal every 500 ms, margin 1 s.
// A "link" proxy between a holder and the home can blackhole everything (a frozen home
// or a partition: messages vanish, nothing closes). Renewal keeps leases, missed
// membership heartbeats never free them, an unrenewed lease is revoked at its holder
// before the home frees it, and a holder that slept through its deadline revokes at once.
#include <catch2/catch.hpp>

#include "tests/support/lease_fixture.hpp"

TEST_CASE_METHOD(lease_fixture, "renewed leases of another node stay counted past their TTL") {
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto holder = others(all, home)[0];
  auto& a = client();
  auto ha = acquire(a, f[holder], 1);
  auto la = lease_of(a, ha);
  step(4 * ttl);  // many TTLs: renewals every 500 ms keep it
  CHECK(revoked(a).empty());
  auto st = stats_of(home);
  CHECK(st.active == 1);
  CHECK(st.expired == 0);
  CHECK(stats_of(holder).fenced == 0);
  release(a, f[holder], la.id);
  CHECK(stats_of(home).active == 0);
  CHECK(stats_of(home).released == 1);
}

TEST_CASE_METHOD(lease_fixture,
                 "a silent holder fences itself before its home frees the lease and "
                 "heartbeats alone free nothing") {
  start(all);
  auto home = sb::pick_pool_home("test-pool", all);
  auto rest = others(all, home);
  auto holder = rest[0], other = rest[1];
  // The holder reaches the home through a link we can cut.
  auto link = make_link(home);
  connect(home, holder, link);
  auto& a = client();
  auto ha = acquire(a, f[holder], 1);
  auto la = lease_of(a, ha);
  auto& b = client();
  auto hb = acquire(b, f[holder], 1);
  lease_of(b, hb);
  auto& w = client();
  auto hw = acquire(w, f[other], 1);  // the limit of 2 is full: waits
  CHECK_FALSE(answered(w));
  step(1000ms);  // a couple of renewals went through
  // The holder goes silent (frozen or cut off: nothing closes).
  self->send(link, block_atom::value);
  sched.run();
  // The others' membership declares it down (missed heartbeats): that frees nothing.
  view(home, {home, other});
  view(other, {home, other});
  CHECK_FALSE(answered(w));
  CHECK(stats_of(home).active == 2);
  // The holder cannot renew: within one TTL of its last acknowledged renewal (less the
  // drift allowance) its calls are told to close their streams.
  auto t_fence = until([&] { return !a->mailbox().empty(); }, 2 * ttl);
  CHECK(t_fence <= caf::timespan{ttl});
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});
  CHECK(revoked(b).size() == 1);
  // The home still counts them for at least the margin after the holder's deadline.
  CHECK_FALSE(answered(w));
  auto t_free = until([&] { return answered(w); }, 2 * ttl);
  INFO("fenced after " << t_fence.count() / 1000000 << " ms, freed at the home "
                       << t_free.count() / 1000000 << " ms later");
  CHECK(t_free >= caf::timespan{margin} - caf::timespan{100ms});
  CHECK(t_free <= caf::timespan{margin} + caf::timespan{1000ms});
  lease_of(w, hw);
  auto st = stats_of(home);
  CHECK(st.expired == 2);
  CHECK(st.reclaimed == 2);
  CHECK(st.active == 1);
  self->send(link, pass_atom::value);  // the holder's stats come from the home
  sched.run();
  CHECK(stats_of(holder).fenced == 2);
}

TEST_CASE_METHOD(lease_fixture, "a lease granted after a long wait counts from its grant") {
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto holder = others(all, home)[0];
  // The limit of 2 is held at the home; the holder's call waits longer than a TTL.
  auto& a = client();
  auto ha = acquire(a, f[home], 1);
  auto la = lease_of(a, ha);
  auto& b = client();
  auto hb = acquire(b, f[home], 1);
  lease_of(b, hb);
  auto& w = client();
  auto hw = acquire(w, f[holder], 1);
  step(2 * ttl);
  CHECK_FALSE(answered(w));
  release(a, f[home], la.id);
  auto lw = lease_of(w, hw);
  // Valid from its grant, renewed from then on: not revoked for having waited.
  step(2 * ttl);
  CHECK(revoked(w).empty());
  CHECK(stats_of(holder).fenced == 0);
  CHECK(stats_of(home).active == 2);
  release(w, f[holder], lw.id);
}

TEST_CASE_METHOD(lease_fixture, "a holder that wakes past its deadline revokes at once") {
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto holder = others(all, home)[0];
  auto& a = client();
  auto ha = acquire(a, f[holder], 1);
  auto la = lease_of(a, ha);
  step(1000ms);
  // A frozen process: no timer fires for 20 s, then all at once. Its first acts on waking
  // revoke the lease (the home has let it go meanwhile) instead of renewing it.
  sched.advance_time(20s);
  sched.run();
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});
  auto st = stats_of(home);
  CHECK(st.active == 0);
  CHECK(st.expired == 1);
  // Its call's late release finds nothing at either side.
  release(a, f[holder], la.id);
  CHECK(stats_of(home).double_releases == 0);
}

TEST_CASE_METHOD(lease_fixture, "the home answers a renewal of leases it does not count") {
  start(all);
  auto home = sb::pick_pool_home("test-pool", all);
  auto holder = others(all, home)[0];
  auto link = make_link(home);
  connect(home, holder, link);
  auto& a = client();
  auto ha = acquire(a, f[holder], 1);
  auto la = lease_of(a, ha);
  // Renewals are lost for longer than the home waits: the holder revoked by its own
  // deadline, the home expired the lease after its margin.
  self->send(link, block_atom::value);
  sched.run();
  step(ttl + margin + 200ms, 50ms);
  CHECK(stats_of(home).expired == 1);
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});  // by its own deadline already
  // A stale node's renewal (expired or foreign ids) is answered with every id unknown;
  // the holder that gets this answer revokes those leases at once.
  auto h = self->request(fronts[home], caf::infinite, sb::pool_home_atom_v,
                         sb::pool_renew{"n-stale", 7, {la.id, 999}});
  sched.run();
  h.receive(
    [&](sb::pool_renewed& r) {
      CHECK(r.epoch == 7);
      CHECK(r.home == home);
      CHECK(r.unknown.size() == 2);
      CHECK(r.ttl_ms == 3000);
    },
    [&](caf::error& e) { FAIL(sys.render(e)); });
}

TEST_CASE_METHOD(lease_fixture,
                 "a closed link: the holder revokes after half the margin unless a new home "
                 "confirms its leases") {
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto rest = others(all, home);
  auto next = sb::pick_pool_home("test-pool", rest);
  auto other = rest[0] == next ? rest[1] : rest[0];
  auto& a = client();
  auto ha = acquire(a, f[other], 1);
  auto la = lease_of(a, ha);
  step(1000ms);
  // The home's front goes away, as its proxy does when the link closes. Nobody tells
  // `other` about a new home yet: its lease is revoked half a margin later.
  self->send_exit(fronts[home], caf::exit_reason::kill);
  sched.run();
  CHECK(revoked(a).empty());
  auto t = until([&] { return !a->mailbox().empty(); }, 2 * ttl);
  CHECK(t <= caf::timespan{margin / 2} + caf::timespan{50ms});
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});
}

TEST_CASE_METHOD(lease_fixture,
                 "a closed link: leases a new home adopts in time are kept and renewed") {
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto rest = others(all, home);
  auto next = sb::pick_pool_home("test-pool", rest);
  auto other = rest[0] == next ? rest[1] : rest[0];
  auto& a = client();
  auto ha = acquire(a, f[other], 1);
  lease_of(a, ha);
  self->send_exit(fronts[home], caf::exit_reason::kill);
  sched.run();
  // The survivors learn at once (the same link close): the new home adopts the lease.
  view(next, rest);
  view(other, rest);
  step(3 * ttl);
  CHECK(revoked(a).empty());
  auto st = stats_of(next);
  CHECK(st.adopted == 1);
  CHECK(st.active == 1);
  CHECK(st.expired == 0);
}

TEST_CASE_METHOD(lease_fixture,
                 "a holder's closed link frees its leases at the home after the margin") {
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto rest = others(all, home);
  auto& a = client();
  auto ha = acquire(a, f[rest[0]], 1);
  lease_of(a, ha);
  auto& b = client();
  auto hb = acquire(b, f[rest[0]], 1);
  lease_of(b, hb);
  auto& w = client();
  auto hw = acquire(w, f[rest[1]], 1);
  CHECK_FALSE(answered(w));
  // The holder node's link closes (its front's proxy goes): a lock-delay of one margin,
  // the time a live holder behind a reset link needs to revoke (half of it).
  self->send_exit(fronts[rest[0]], caf::exit_reason::kill);
  sched.run();
  CHECK_FALSE(answered(w));
  auto t = until([&] { return answered(w); }, 2 * ttl);
  CHECK(t >= caf::timespan{margin} - caf::timespan{50ms});
  CHECK(t <= caf::timespan{margin} + caf::timespan{200ms});
  lease_of(w, hw);
  auto st = stats_of(home);
  CHECK(st.reclaimed == 2);
  CHECK(st.expired == 0);
}

TEST_CASE_METHOD(lease_fixture, "leases of the home's own calls never expire") {
  start({"solo"});
  view("solo", {"solo"});
  auto& a = client();
  auto ha = acquire(a, f["solo"], 1);
  lease_of(a, ha);
  sched.advance_time(60s);
  sched.run();
  step(2 * ttl);
  CHECK(revoked(a).empty());
  auto st = stats_of("solo");
  CHECK(st.active == 1);
  CHECK(st.expired == 0);
}

TEST_CASE_METHOD(lease_fixture, "one renewal of a thousand leases is about 8 KB on the wire") {
  sb::pool_renew r{"node-12", 3, {}};
  for (uint64_t i = 1; i <= 1000; ++i)
    r.ids.push_back(1000000 + i);
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto msg = caf::make_message(sb::pool_home_atom_v, r);
  CHECK(!sink(msg));
  WARN("pool_renew with 1000 ids: " << buf.size() << " bytes serialized");
  CHECK(buf.size() < 8 * 1000 + 200);  // 8 bytes per lease, one message per interval
}

TEST_CASE_METHOD(lease_fixture,
                 "a node cut off from its home counts its leases against its local share and "
                 "still revokes them by their deadline") {
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto holder = others(all, home)[0];
  auto& a = client();
  auto ha = acquire(a, f[holder], 1);
  auto la = lease_of(a, ha);
  step(1000ms);
  // Cut off: alone in its cluster, it is its own home with its local share (the pool's
  // limit of 2 here). Its lease from the home counts against that share...
  sb::pool_view alone{holder, {sb::pool_member{holder, fronts[holder]}}, true, {}};
  self->send(fronts[holder], std::move(alone));
  sched.run();
  auto& b = client();
  auto hb = acquire(b, f[holder], 1);
  lease_of(b, hb);
  auto& c = client();
  auto hc = acquire(c, f[holder], 1);
  CHECK_FALSE(answered(c));  // 2 of 2: the borrowed lease and b's
  // ...but the home it came from may be alive and free it after its TTL and margin: it is
  // revoked by its deadline here, and only then is its slot in the share used again.
  auto t = until([&] { return !a->mailbox().empty(); }, 2 * ttl);
  CHECK(t <= caf::timespan{ttl});
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});
  CHECK(answered(c));
  lease_of(c, hc);
  CHECK(stats_of(holder).fenced == 1);
}

TEST_CASE_METHOD(lease_fixture,
                 "a new home grants nothing until a former home that left without handing "
                 "over can hold no stream, and renews what it adopted meanwhile") {
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto rest = others(all, home);
  auto next = sb::pick_pool_home("test-pool", rest);
  auto other = rest[0] == next ? rest[1] : rest[0];
  // The home's own call holds one of the two, a call on `other` the second.
  auto& a = client();
  auto ha = acquire(a, f[home], 1);
  lease_of(a, ha);
  auto& b = client();
  auto hb = acquire(b, f[other], 1);
  lease_of(b, hb);
  step(1000ms);
  // The home freezes (its front stays, silent for the others): they declare it down and
  // `next` takes over. It counts `other`'s lease; the home's own is counted nowhere.
  view(next, rest);
  view(other, rest);
  auto& w = client();
  auto hw = acquire(w, f[other], 1);
  CHECK_FALSE(answered(w));
  CHECK(stats_of(next).authority.rfind("recovering for", 0) == 0);
  // No grant before lease_ttl + lease_margin: by then the former home's streams are
  // closed (revoked there, or by the provider's idle cut-off when it is frozen).
  auto t = until([&] { return answered(w); }, 3 * ttl);
  CHECK(t >= caf::timespan{ttl + margin} - caf::timespan{100ms});
  CHECK(t <= caf::timespan{ttl + margin} + caf::timespan{500ms});
  lease_of(w, hw);
  // The adopted lease was renewed through the recovery, longer than its TTL.
  CHECK(revoked(b).empty());
  auto st = stats_of(next);
  CHECK(st.adopted == 1);
  CHECK(st.active == 2);
  CHECK(st.expired == 0);
  CHECK(st.authority.empty());
}

TEST_CASE_METHOD(lease_fixture,
                 "a home that was stalled past the failure timeout revokes its own calls' "
                 "leases and rebuilds") {
  stall_limit = 900ms;  // failure_timeout 1 s - heartbeat_interval 100 ms
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto holder = others(all, home)[0];
  auto& a = client();
  auto ha = acquire(a, f[home], 1);
  auto la = lease_of(a, ha);
  auto& b = client();
  auto hb = acquire(b, f[holder], 1);
  lease_of(b, hb);
  // A stall shorter than that changes nothing.
  sched.advance_time(600ms);
  sched.run();
  step(1000ms);
  CHECK(revoked(a).empty());
  CHECK(stats_of(home).fenced == 0);
  // A frozen process (no timer for 5 s, then all at once): the others may have elected a
  // new home meanwhile, which counts nothing of this engine's own leases.
  sched.advance_time(5s);
  sched.run();
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});
  CHECK(stats_of(home).fenced == 1);
  // It rebuilt from the members' reports and grants again.
  auto& c = client();
  auto hc = acquire(c, f[home], 1);
  step(500ms);
  CHECK(answered(c));
  lease_of(c, hc);
}

TEST_CASE_METHOD(lease_fixture, "a home alone is not revoked for a stall") {
  stall_limit = 900ms;
  start({"solo"});
  view("solo", {"solo"});
  auto& a = client();
  auto ha = acquire(a, f["solo"], 1);
  lease_of(a, ha);
  sched.advance_time(60s);
  sched.run();
  step(2 * ttl);
  CHECK(revoked(a).empty());
  CHECK(stats_of("solo").active == 1);
}

TEST_CASE_METHOD(lease_fixture, "a home that left after its calls ended hands over at once") {
  start_joined();
  auto home = sb::pick_pool_home("test-pool", all);
  auto rest = others(all, home);
  auto next = sb::pick_pool_home("test-pool", rest);
  auto other = rest[0] == next ? rest[1] : rest[0];
  auto& b = client();
  auto hb = acquire(b, f[other], 1);
  lease_of(b, hb);
  // Drained: it said it leaves (cluster_leave) once its own calls were done.
  for (auto& n : rest) {
    sb::pool_view v{n, {}, false, {home}};
    for (auto& m : rest)
      v.members.push_back(sb::pool_member{m, fronts[m]});
    self->send(fronts[n], std::move(v));
  }
  sched.run();
  auto& w = client();
  auto hw = acquire(w, f[other], 1);
  step(300ms);  // the reports and the retry of the acquire
  CHECK(answered(w));
  lease_of(w, hw);
  CHECK(stats_of(next).authority.empty());
  CHECK(stats_of(next).adopted == 1);
}
