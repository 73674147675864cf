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
  std::map<std::string, caf::actor> coordinators;
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

  void view(const std::string& node, const std::vector<std::string>& up) {
    sb::pool_view v{node, {}, true, {}};
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

  std::vector<uint64_t> revoked(caf::scoped_actor& who) {
    sched.run();
    std::vector<uint64_t> out;
    while (!who->mailbox().empty())
      who->receive([&](sb::pool_revoke_atom, uint64_t id) { out.push_back(id); },
                   [&](caf::message& m) { FAIL("unexpected " << caf::to_string(m)); });
    return out;
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
