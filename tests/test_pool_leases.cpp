// Lease expiry across nodes on virtual time (docs/design/cluster-leases.md): three nodes'
// pool fronts in one actor system with lease_ttl 3 s, renewal every 500 ms, margin 1 s.
// A "link" proxy between a holder and the home can blackhole everything (a frozen home
// or a partition: messages vanish, nothing closes). Renewal keeps leases, missed
// membership heartbeats never free them, an unrenewed lease is revoked at its holder
// before the home frees it, and a holder that slept through its deadline revokes at once.
#include <catch2/catch.hpp>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/pool_front.hpp"
#include "messages/pool_cluster.hpp"
#include "tests/support/pool_fixture.hpp"

namespace {

using block_atom = caf::atom_constant<caf::atom("block")>;
using pass_atom = caf::atom_constant<caf::atom("pass")>;

constexpr auto ttl = 3000ms;
constexpr auto renew_every = 500ms;
constexpr auto margin = 1000ms;

// What a front sends to a remote home, relayed with the sender kept (delegate) while
// passing; swallowed (requests never answered) while blocked.
struct link_state {
  caf::actor target;
  bool pass = true;
  std::vector<caf::response_promise> swallowed;
};

caf::behavior link_impl(caf::stateful_actor<link_state>* self, caf::actor target) {
  self->state.target = target;
  auto relay = [self](auto&&... xs) -> caf::result<caf::message> {
    auto rp = self->make_response_promise();
    if (self->state.pass)
      rp.delegate(self->state.target, std::forward<decltype(xs)>(xs)...);
    else
      self->state.swallowed.push_back(rp);
    return caf::delegated<caf::message>{};
  };
  return {
    [=](sb::pool_home_atom a, sb::pool_acquire& r) { return relay(a, std::move(r)); },
    [=](sb::pool_home_atom a, sb::pool_release& r) { return relay(a, std::move(r)); },
    [=](sb::pool_home_atom a, sb::pool_cancel& r) { return relay(a, std::move(r)); },
    [=](sb::pool_home_atom a, sb::pool_renew& r) { return relay(a, std::move(r)); },
    [=](sb::pool_adopt& r) { return relay(std::move(r)); },
    [=](caf::get_atom g, sb::pool_home_atom a) { return relay(g, a); },
    [self](block_atom) { self->state.pass = false; },
    [self](pass_atom) { self->state.pass = true; },
  };
}

// A scripted remote home: answers reports with incarnation 7, grants under the next
// home lease epoch of `grant_epochs` (the last one repeats), renewals under the last one
// and with incarnation 7 unless told another one (put_atom); get_atom: what was given back.
struct fake_home_state {
  std::string name;
  uint64_t renew_inc = 7;
  std::vector<uint64_t> grant_epochs;
  size_t granted = 0;
  std::vector<uint64_t> released;
};

caf::behavior fake_home_impl(caf::stateful_actor<fake_home_state>* self, std::string name,
                             std::vector<uint64_t> grant_epochs) {
  self->state.name = std::move(name);
  self->state.grant_epochs = std::move(grant_epochs);
  return {
    [](sb::pool_adopt& a) {
      sb::pool_adopted out;
      for (size_t i = 0; i < a.leases.size(); ++i)
        out.ids.push_back(1000 + i);
      out.incarnation = 7;
      return out;
    },
    [self](sb::pool_home_atom, sb::pool_acquire& a) {
      auto& s = self->state;
      auto e = s.grant_epochs[std::min(s.granted, s.grant_epochs.size() - 1)];
      ++s.granted;
      return sb::pool_lease{100 + s.granted, a.ticket, 0, "k0", 0, e};
    },
    [self](sb::pool_home_atom, sb::pool_renew& r) {
      auto& s = self->state;
      return sb::pool_renewed{r.epoch, s.name, {}, 3000, s.grant_epochs.back(), s.renew_inc};
    },
    [self](sb::pool_home_atom, sb::pool_release& r) {
      self->state.released.push_back(r.lease_id);
    },
    [](sb::pool_home_atom, sb::pool_cancel&) {},
    [](caf::get_atom, sb::pool_home_atom) { return sb::pool_stats{}; },
    [self](caf::put_atom, uint64_t inc) { self->state.renew_inc = inc; },
    [self](caf::get_atom) { return self->state.released; },
  };
}

const std::vector<std::string> all_nodes{"n1", "n2", "n3"};

// A test double (link proxy, scripted home) standing in for a front in a view: it answers
// only what a front is sent in these tests, so the handle is cast unchecked.
sb::pool_front_actor as_front(const caf::actor& a) {
  return caf::actor_cast<sb::pool_front_actor>(a);
}

struct lease_fixture : fixture {
  std::map<std::string, sb::pool_front_actor> fronts;
  std::map<std::string, sb::pool_actor> f;
  caf::timespan elapsed{0};
  std::vector<caf::actor> links;
  std::chrono::milliseconds stall_limit{0};  // the home's dead-man switch (off)
  uint64_t next_incarnation = 1;             // each front is a process start of its own

  ~lease_fixture() {
    for (auto& l : links)
      self->send_exit(l, caf::exit_reason::kill);
    sched.run();
  }

  caf::actor make_link(const std::string& to) {
    links.push_back(sys.spawn(link_impl, caf::actor_cast<caf::actor>(fronts[to])));
    return links.back();
  }

  sb::pool_front_config config(const std::string& node) {
    sb::pool_front_config c{base_config(2), 0, node, true};
    c.lease_ttl = ttl;
    c.renew_interval = renew_every;
    c.lease_margin = margin;
    c.stall_limit = stall_limit;
    c.incarnation = next_incarnation++;
    return c;
  }

  void start(const std::vector<std::string>& nodes) {
    for (auto& n : nodes) {
      auto a = sb::spawn_pool_front(sys, config(n));
      sched.run();
      fronts[n] = a;
      f[n] = a;
      pools.push_back(f[n]);
    }
  }

  // Tells `node` that `up` are live; `via` replaces a member's front (a link proxy).
  void view(const std::string& node, const std::vector<std::string>& up,
            std::map<std::string, caf::actor> via = {}) {
    sb::pool_view v{node, {}, false, {}};
    for (auto& n : up)
      v.members.push_back(
        sb::pool_member{n, via.count(n) ? as_front(via[n]) : fronts[n]});
    self->send(fronts[node], std::move(v));
    sched.run();
  }

  sb::pool_stats stats_of(const std::string& node) {
    return stats(f[node]);
  }

  // Advances virtual time in small steps (timers fire on time, as on a real clock).
  void step(caf::timespan d, caf::timespan by = 50ms) {
    for (caf::timespan t{0}; t < d; t += by) {
      advance(by);
      elapsed += by;
    }
  }

  // The lease ids revoked at this client so far (pool_revoke_atom in its mailbox).
  std::vector<uint64_t> revoked(caf::scoped_actor& who) {
    sched.run();
    std::vector<uint64_t> out;
    while (!who->mailbox().empty())
      who->receive([&](sb::pool_revoke_atom, uint64_t id) { out.push_back(id); },
                   [&](caf::message& m) { FAIL("unexpected " << caf::to_string(m)); });
    return out;
  }

  // Views for all three, the holder reaching the home through `link` (the home first:
  // it waits for both reports, and the holder's goes through the link).
  void connect(const std::string& home, const std::string& holder, caf::actor link) {
    view(home, all_nodes);
    for (auto& n : all_nodes)
      if (n != home && n != holder)
        view(n, all_nodes);
    view(holder, all_nodes, {{home, link}});
  }

  void with_home(const std::string& name, caf::actor home);
  std::vector<uint64_t> given_back(caf::actor home);

  // Steps until `pred` holds (at most `limit`); returns the time it took.
  template <class Pred>
  caf::timespan until(Pred pred, caf::timespan limit, caf::timespan by = 50ms) {
    caf::timespan t{0};
    while (!pred() && t < limit) {
      advance(by);
      t += by;
    }
    return t;
  }
};

const std::vector<std::string> all{"n1", "n2", "n3"};

std::vector<std::string> others(const std::vector<std::string>& up, const std::string& x) {
  std::vector<std::string> out;
  for (auto& n : up)
    if (n != x)
      out.push_back(n);
  return out;
}

} // namespace

TEST_CASE_METHOD(lease_fixture, "renewed leases of another node stay counted past their TTL") {
  start(all);
  for (auto& n : all)
    view(n, all);
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
  start(all);
  for (auto& n : all)
    view(n, all);
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
  start(all);
  for (auto& n : all)
    view(n, all);
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
  start(all);
  for (auto& n : all)
    view(n, all);
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
  start(all);
  for (auto& n : all)
    view(n, all);
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
  start(all);
  for (auto& n : all)
    view(n, all);
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
  start(all);
  for (auto& n : all)
    view(n, all);
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
  start(all);
  for (auto& n : all)
    view(n, all);
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
  start(all);
  for (auto& n : all)
    view(n, all);
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
  start(all);
  for (auto& n : all)
    view(n, all);
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

namespace {

// A node name that is the home of "test-pool" over {it, "h"}, other than `not_this`.
std::string winning_name(const std::string& not_this = "") {
  for (int i = 0;; ++i) {
    auto n = "fake-" + std::to_string(i);
    if (n != not_this && sb::pick_pool_home("test-pool", {"h", n}) == n)
      return n;
  }
}

} // namespace

// `h` alone with `home` as the pool's home.
void lease_fixture::with_home(const std::string& name, caf::actor home) {
  sb::pool_view v{"h", {sb::pool_member{"h", fronts["h"]}, sb::pool_member{name, as_front(home)}},
                  false,
                  {}};
  self->send(fronts["h"], std::move(v));
  sched.run();
}

std::vector<uint64_t> lease_fixture::given_back(caf::actor home) {
  auto r = self->request(home, caf::infinite, caf::get_atom_v);
  sched.run();
  std::vector<uint64_t> out;
  r.receive([&](std::vector<uint64_t>& v) { out = v; },
            [&](caf::error& e) { FAIL(sys.render(e)); });
  return out;
}

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
  start(all);
  for (auto& n : all)
    view(n, all);
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
