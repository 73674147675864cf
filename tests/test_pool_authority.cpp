// One home at a time on virtual time (docs/design/cluster-leases.md H10-H12): pool fronts
// with a coordinator actor each, sharing one in-memory home lease store (the same rules
// as the Redis one: taken only when free, renewed by its owner, expiring after its TTL on
// the store's clock, which is the actor clock here). lease_ttl 3 s, renewal every 500 ms,
// margin 1 s: a fresh claim waits 4 s before its first grant.
#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include <caf/actor_cast.hpp>

#include "actors/coordinator_actor.hpp"
#include "actors/pool_front.hpp"
#include "messages/pool_cluster.hpp"
#include "tests/support/pool_fixture.hpp"

namespace {

constexpr auto ttl = 3000ms;
constexpr auto renew_every = 500ms;
constexpr auto margin = 1000ms;

// Redis' semantics without Redis: one lease per pool, "now" from the actor clock.
struct memory_store : sb::home_lease_store {
  struct entry {
    std::string owner;
    uint64_t epoch = 0;
    caf::actor_clock::time_point expires;
  };
  caf::actor_clock* clock = nullptr;
  std::map<std::string, entry> leases;
  std::map<std::string, uint64_t> counters;
  bool down = false;

  sb::home_claim claim(const std::string& pool, const std::string& owner,
                       std::chrono::milliseconds t) override {
    sb::home_claim out;
    if (down) {
      out.reason = "cannot connect: Connection refused";
      return out;
    }
    auto now = clock->now();
    auto i = leases.find(pool);
    if (i != leases.end() && i->second.expires <= now)
      leases.erase(i), i = leases.end();
    if (i != leases.end() && i->second.owner != owner) {
      out.result = sb::home_claim::outcome::taken;
      out.holder = i->second.owner;
      out.epoch = i->second.epoch;
      return out;
    }
    out.result = sb::home_claim::outcome::held;
    out.fresh = i == leases.end();
    if (out.fresh)
      leases[pool] = entry{owner, ++counters[pool], now + t};
    else
      i->second.expires = now + t;
    out.epoch = leases[pool].epoch;
    out.holder = owner;
    return out;
  }
  sb::home_claim take_over(const std::string& pool, const std::string& owner,
                           uint64_t from_epoch, std::chrono::milliseconds t) override {
    auto i = leases.find(pool);
    if (down || i == leases.end() || i->second.expires <= clock->now()
        || i->second.epoch != from_epoch || i->second.owner == owner)
      return claim(pool, owner, t);
    i->second = entry{owner, ++counters[pool], clock->now() + t};
    sb::home_claim out;
    out.result = sb::home_claim::outcome::held;
    out.fresh = out.handed = true;
    out.epoch = i->second.epoch;
    out.holder = owner;
    return out;
  }
  bool release(const std::string& pool, const std::string& owner) override {
    if (down)
      return false;
    auto i = leases.find(pool);
    if (i != leases.end() && i->second.owner == owner)
      leases.erase(i);
    return true;
  }
  std::string where() const override { return "memory://test"; }
};

struct authority_fixture : fixture {
  std::shared_ptr<memory_store> store = std::make_shared<memory_store>();
  std::map<std::string, sb::coordinator_actor> coordinators;
  std::map<std::string, sb::pool_front_actor> fronts;
  std::map<std::string, sb::pool_actor> f;
  std::map<std::string, sb::coordinator_health> health;

  authority_fixture() { store->clock = &sys.clock(); }

  ~authority_fixture() {
    for (auto& [n, c] : coordinators)
      self->send_exit(c, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void start(const std::string& node, uint32_t local_share = 0) {
    sb::coordinator_config cc;
    cc.store = store;
    cc.owner = node + "/1";
    cc.ttl = ttl;
    cc.renew_interval = renew_every;
    cc.recovery = ttl + margin;
    cc.report = [this, node](const sb::coordinator_health& h) { health[node] = h; };
    coordinators[node] = sb::spawn_coordinator(sys, cc, false);
    sb::pool_front_config c{base_config(2), local_share, node, true};
    c.lease_ttl = ttl;
    c.renew_interval = renew_every;
    c.lease_margin = margin;
    c.coordinator = coordinators[node];
    fronts[node] = sb::spawn_pool_front(sys, c);
    sched.run();
    f[node] = fronts[node];
    pools.push_back(f[node]);
  }

  void view(const std::string& node, const std::vector<std::string>& up,
            std::vector<std::string> left = {}) {
    sb::pool_view v{node, {}, true, std::move(left)};
    for (auto& n : up)
      v.members.push_back(sb::pool_member{n, fronts[n]});
    self->send(fronts[node], std::move(v));
    sched.run();
  }

  // Advances virtual time in small steps, so that timers fire on time (one big jump is a
  // frozen process: every lease runs out).
  void step(caf::timespan d, caf::timespan by = 50ms) {
    for (caf::timespan t{0}; t < d; t += by)
      advance(by);
  }
};

} // namespace

TEST_CASE_METHOD(authority_fixture,
                 "a home grants only under its home lease, from the end of the recovery wait") {
  start("n1");
  auto& a = client();
  auto ha = acquire(a, f["n1"], 1);
  // Claimed at once, but a former home's leases may still be live: no grant for
  // lease_ttl + lease_margin.
  CHECK(store->leases.count("test-pool") == 1);
  CHECK(stats(f["n1"]).authority.find("recovering") != std::string::npos);
  auto waited = until([&] { return answered(a); }, 10s);
  CHECK(waited >= caf::timespan{ttl + margin} - caf::timespan{100ms});
  CHECK(waited <= caf::timespan{ttl + margin} + caf::timespan{200ms});
  lease_of(a, ha);
  CHECK(stats(f["n1"]).authority == "home lease, epoch 1");
  // Renewed every 500 ms: it keeps granting for many TTLs.
  step(4 * ttl);
  auto& b = client();
  auto hb = acquire(b, f["n1"], 2);
  lease_of(b, hb);
  CHECK(revoked(a).empty());
  CHECK(health["n1"].state == "ok");
}

TEST_CASE_METHOD(authority_fixture,
                 "a home that cannot renew its home lease revokes what it granted when it runs "
                 "out and grants only its local share") {
  start("n1", 1);
  until([&] { return stats(f["n1"]).authority == "home lease, epoch 1"; }, 10s);
  auto& a = client();
  auto ha = acquire(a, f["n1"], 1);
  auto la = lease_of(a, ha);
  store->down = true;
  // Degraded while the lease is still valid...
  step(renew_every);
  CHECK(health["n1"].state == "degraded");
  CHECK(revoked(a).empty());
  // ...and at its end (lease_ttl less 1% after the last renewal's sending) the call's
  // stream is revoked: another node may take the lease once the store drops it.
  auto t = until([&] { return !a->mailbox().empty(); }, 2 * ttl);
  CHECK(t <= caf::timespan{ttl});
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});
  step(renew_every);  // the coordinator's next attempt
  CHECK(health["n1"].state == "error");
  CHECK(health["n1"].reason.find("coordinator memory://test unreachable: cannot connect") == 0);
  auto st = stats(f["n1"]);
  CHECK(st.authority == "no home lease: coordinator unreachable: cannot connect: "
                        "Connection refused");
  CHECK(st.capacity == 1);  // its local share
  auto& b = client();
  auto hb = acquire(b, f["n1"], 2);
  lease_of(b, hb);
  auto& c = client();
  acquire(c, f["n1"], 3);
  step(2 * ttl);
  CHECK_FALSE(answered(c));  // beyond the local share: waits
}

TEST_CASE_METHOD(authority_fixture,
                 "in a split the side without the home lease grants nothing and its leases "
                 "from the home run out") {
  start("n1");
  start("n2");
  std::vector<std::string> both{"n1", "n2"};
  auto home = sb::pick_pool_home("test-pool", both);
  auto other = home == "n1" ? "n2" : "n1";
  view(home, both);
  view(other, both);
  until([&] { return stats(f[home]).authority.rfind("home lease, epoch", 0) == 0
                     && stats(f[home]).authority.find("recovering") == std::string::npos; },
        20s);
  auto& a = client();
  auto ha = acquire(a, f[other], 1);
  auto la = lease_of(a, ha);
  // The split: each is alone and its own home by its view.
  view(home, {home});
  view(other, {other});
  auto& w = client();
  auto hw = acquire(w, f[other], 2);
  step(renew_every);
  auto st = stats(f[other]);
  CHECK(st.authority == "no home lease: held by " + std::string(home) + "/1");
  // Its lease from the home cannot be renewed (the home front is not in its view any
  // more): revoked by its deadline; its new request is not granted.
  until([&] { return !a->mailbox().empty(); }, 2 * ttl);
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});
  step(2 * ttl);
  CHECK_FALSE(answered(w));
  // The home keeps granting the limit.
  auto& b = client();
  auto hb = acquire(b, f[home], 1);
  auto& c = client();
  auto hc = acquire(c, f[home], 2);
  auto lb = lease_of(b, hb);
  lease_of(c, hc);
  // Healed: the waiting request is served by the home once capacity is free.
  view(home, both);
  view(other, both);
  release(b, f[home], lb.id);
  until([&] { return answered(w); }, 5s);
  lease_of(w, hw);
}

namespace {

// Three nodes, the home holding its home lease: the names by role.
struct three {
  std::string home, next, other;
  uint64_t epoch = 0;  // the home's home lease
};

three settle_three(authority_fixture& fx) {
  for (auto n : {"n1", "n2", "n3"})
    fx.start(n);
  std::vector<std::string> all{"n1", "n2", "n3"};
  three r;
  r.home = sb::pick_pool_home("test-pool", all);
  std::vector<std::string> rest;
  for (auto& n : all)
    if (n != r.home)
      rest.push_back(n);
  r.next = sb::pick_pool_home("test-pool", rest);
  r.other = rest[0] == r.next ? rest[1] : rest[0];
  for (auto& n : all)
    fx.view(n, all);
  auto settled = [&] {
    auto a = fx.stats(fx.f[r.home]).authority;
    return a.rfind("home lease, epoch ", 0) == 0 && a.find("recovering") == std::string::npos;
  };
  fx.until(settled, 20s);
  REQUIRE(settled());
  r.epoch = fx.store->leases["test-pool"].epoch;
  return r;
}

bool hand_over(authority_fixture& fx, const std::string& node) {
  bool out = false;
  auto h = fx.self->request(fx.fronts[node], caf::infinite, sb::pool_handover_atom_v);
  fx.sched.run();
  h.receive([&](bool b) { out = b; }, [&](caf::error&) {});
  return out;
}

} // namespace

TEST_CASE_METHOD(authority_fixture,
                 "a drained home hands its table and its home lease over: the successor "
                 "grants at once and counts the leases of a holder it cannot hear from") {
  auto r = settle_three(*this);
  // Limit 2: one lease on the node that will be cut off, one on the successor, and a
  // call on the successor waiting.
  auto& a = client();
  auto ha = acquire(a, f[r.other], 1);
  auto la = lease_of(a, ha);
  auto& b = client();
  auto hb = acquire(b, f[r.next], 1);
  auto lb = lease_of(b, hb);
  auto& w = client();
  auto hw = acquire(w, f[r.next], 2);
  CHECK_FALSE(answered(w));
  // The home drains and leaves: its table goes to the successor, which from then on is
  // cut off from the third node (it never hears from it).
  CHECK(hand_over(*this, r.home));
  view(r.next, {r.next}, {r.home});
  view(r.other, {r.other}, {r.home});
  // It took over the home lease under a new epoch, with no recovery wait.
  auto next_epoch = "home lease, epoch " + std::to_string(r.epoch + 1);
  auto took = until([&] { return stats(f[r.next]).authority == next_epoch; }, 10s);
  CHECK(took <= caf::timespan{200ms});
  CHECK(store->leases["test-pool"].owner == r.next + "/1");
  // Its own lease and the third node's (from the table) are counted: the waiting call
  // gets the slot its own released lease frees, at once...
  release(b, f[r.next], lb.id);
  CHECK(until([&] { return answered(w); }, 1s) <= caf::timespan{200ms});
  lease_of(w, hw);
  // ...but a further call waits while the third node's lease may still be open there.
  auto& x = client();
  auto hx = acquire(x, f[r.next], 3);
  step(2s);
  CHECK_FALSE(answered(x));
  // The third node cannot renew: it revokes that stream by its deadline, before the
  // successor stops counting it (lease_ttl + lease_margin after the hand-over).
  until([&] { return !a->mailbox().empty(); }, 2 * ttl);
  CHECK(revoked(a) == std::vector<uint64_t>{la.id});
  CHECK_FALSE(answered(x));
  auto freed = until([&] { return answered(x); }, 10s);
  CHECK(freed <= caf::timespan{ttl + margin});
  lease_of(x, hx);
}

TEST_CASE_METHOD(authority_fixture,
                 "a successor that comes too late for the handed claim recovers like any "
                 "fresh claim, and its holders' reports match the table") {
  auto r = settle_three(*this);
  auto& a = client();
  auto ha = acquire(a, f[r.other], 1);
  lease_of(a, ha);
  CHECK(hand_over(*this, r.home));
  // The handed claim runs out in the store (nobody renews it) before the successor's
  // view changes: its claim is a fresh one, and it waits lease_ttl + lease_margin.
  step(ttl + 100ms);
  view(r.next, {r.next, r.other}, {r.home});
  view(r.other, {r.next, r.other}, {r.home});
  step(500ms);
  auto st = stats(f[r.next]);
  CHECK(st.authority.rfind("home lease, epoch " + std::to_string(r.epoch + 1) + ", recovering",
                          0) == 0);
  // The other node's report names the same lease as the table (holder and ticket): it
  // is counted once, so one of the two slots is free after the recovery.
  CHECK(st.active == 1);
  auto& b = client();
  auto hb = acquire(b, f[r.next], 1);
  auto waited = until([&] { return answered(b); }, 10s);
  CHECK(waited >= caf::timespan{ttl});
  lease_of(b, hb);
  CHECK(stats(f[r.next]).active == 2);
}
