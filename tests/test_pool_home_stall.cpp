// A home that stalls and wakes, on virtual time (docs/design/cluster-leases.md): three
// nodes' pool fronts in one actor system (lease_ttl 3 s, renewal every 500 ms, margin 1 s,
// the home's dead-man switch at 900 ms). The interleaving that once revoked healthy
// streams: the woken home starts a new engine, and a member of its view renews before its
// report is in that engine. The home must answer not_home (the member's own deadline
// decides) and ask for the report, not "unknown" (which makes the member revoke). A
// renewal from a node outside the view is still answered "unknown".
//
// One test coordinator drives every front, so a stall is one jump of the shared clock:
// 1.2 s, past the home's stall limit but well within the members' lease TTL, so only the
// home's pulse sees it (the members merely renew once, late). The views the home's
// cluster actor would send after waking (its failure detector saw no heartbeat for the
// stall: alone, then the members again one by one) are sent by hand.
#include <catch2/catch.hpp>

#include <optional>

#include "actors/pool_front.hpp"
#include "messages/pool_cluster.hpp"
#include "tests/support/pool_fixture.hpp"

namespace {

constexpr auto ttl = 3000ms;
constexpr auto renew_every = 500ms;
constexpr auto margin = 1000ms;
constexpr auto stall_limit = 900ms;  // failure_timeout 1 s - heartbeat_interval 100 ms

const std::vector<std::string> all{"n1", "n2", "n3"};

struct stall_fixture : fixture {
  std::map<std::string, sb::pool_front_actor> fronts;
  std::string home, holder, other;
  uint64_t next_incarnation = 1;

  stall_fixture() {
    home = sb::pick_pool_home("test-pool", all);
    for (auto& n : all)
      if (n != home)
        (holder.empty() ? holder : other) = n;
    for (auto& n : all) {
      sb::pool_front_config c{base_config(2), 0, n, true};
      c.lease_ttl = ttl;
      c.renew_interval = renew_every;
      c.lease_margin = margin;
      c.stall_limit = stall_limit;
      c.incarnation = next_incarnation++;
      fronts[n] = sb::spawn_pool_front(sys, c);
      pools.push_back(fronts[n]);
      sched.run();
    }
  }

  // Tells `node` that `up` are live (`share`: alone in a cluster), as its cluster actor.
  void view(const std::string& node, const std::vector<std::string>& up, bool share = false) {
    sb::pool_view v{node, {}, share, {}};
    for (auto& n : up)
      v.members.push_back(sb::pool_member{n, fronts[n]});
    self->send(fronts[node], std::move(v));
    sched.run();
  }

  sb::pool_stats stats_of(const std::string& node) {
    return stats(fronts[node]);
  }

  void step(caf::timespan d, caf::timespan by = 50ms) {
    for (caf::timespan t{0}; t < d; t += by)
      advance(by);
  }

  // A renewal as `from` would send it, answered to the test.
  struct renew_answer {
    std::optional<sb::pool_renewed> renewed;
    caf::error error;
  };
  renew_answer renew_as(const std::string& from, uint64_t id) {
    auto h = self->request(fronts[home], caf::infinite, sb::pool_home_atom_v,
                           sb::pool_renew{from, 1, {id}, 99});
    sched.run();
    renew_answer out;
    h.receive([&](sb::pool_renewed& r) { out.renewed = std::move(r); },
              [&](caf::error& e) { out.error = std::move(e); });
    return out;
  }

  // The holder's call holds a lease from the home; then the home stalls for 1.2 s, wakes
  // (its engine starts over: its pulse found the stall) and its cluster actor, which
  // heard nobody meanwhile, sends it the views of re-admitting the members: alone, then
  // with `other`, then with the holder. Its engine now has every report but the holder's.
  void stall_and_wake(caf::scoped_actor& b) {
    for (auto& n : all)
      view(n, all);
    auto hb = acquire(b, fronts[holder], 1);
    lease_of(b, hb);
    step(1000ms);
    REQUIRE(revoked(b).empty());
    REQUIRE(stats_of(home).active == 1);
    sched.advance_time(1200ms);  // the stall: every due timer at once
    sched.run();
    view(home, {home}, true);
    view(home, {home, other});
    view(home, {home, other, holder});
  }
};

} // namespace

TEST_CASE_METHOD(stall_fixture,
                 "a woken home asks a member that renews before its report is in, and keeps "
                 "its leases") {
  auto& b = client();
  stall_and_wake(b);
  // The holder's lease is not in the home's new engine yet: its report was not asked for.
  CHECK(stats_of(home).active == 0);
  // Its next renewal comes first: answered not_home (not "unknown", which would revoke the
  // call's live stream), and the home asks for its report, which installs the lease.
  step(renew_every);
  CHECK(revoked(b).empty());
  CHECK(stats_of(home).active == 1);
  // From then on its renewals are answered by the engine and keep the lease.
  step(2 * ttl);
  CHECK(revoked(b).empty());
  CHECK(stats_of(home).active == 1);
  CHECK(stats_of(home).expired == 0);
}

TEST_CASE_METHOD(stall_fixture,
                 "a woken home answers a member without a report not_home, and a node outside "
                 "its view unknown") {
  auto& b = client();
  stall_and_wake(b);
  // A renewal naming the holder before its report is in: not_home, not an answer.
  auto early = renew_as(holder, 4242);
  CHECK_FALSE(early.renewed);
  CHECK(early.error == make_error(pool_errc::not_home));
  // ...and the holder was asked for its report: its lease is in the engine now.
  CHECK(stats_of(home).active == 1);
  CHECK(revoked(b).empty());
  // A node the home does not see: it counts nothing for it, so every id is unknown.
  auto stranger = renew_as("n9", 4242);
  REQUIRE(stranger.renewed);
  CHECK(stranger.renewed->unknown == std::vector<uint64_t>{4242});
  CHECK(stranger.renewed->home == home);
  // The holder's own renewals keep its lease.
  step(2 * ttl);
  CHECK(revoked(b).empty());
  CHECK(stats_of(home).active == 1);
}
