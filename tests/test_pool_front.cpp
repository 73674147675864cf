// Cluster-wide pools on virtual time: three nodes' pool fronts in one actor system, fed
// membership views by hand as the cluster actor would. One limit for all nodes, a holder
// node's death, the home's death with the rebuild, and the local share.
#include <catch2/catch.hpp>

#include <caf/actor_cast.hpp>

#include "actors/pool_front.hpp"
#include "messages/pool_cluster.hpp"
#include "tests/support/pool_fixture.hpp"

namespace {

struct front_fixture : fixture {
  std::map<std::string, sb::pool_front_actor> fronts;

  sb::pool_actor front(const std::string& node, uint32_t local_share = 0) {
    auto f = sb::spawn_pool_front(
      sys, sb::pool_front_config{base_config(2), local_share, node, true});
    sched.run();
    fronts[node] = f;
    sb::pool_actor p = f;
    pools.push_back(p);
    return p;
  }

  // Tells `node`'s front that `up` are the live members.
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
};

const std::vector<std::string> all{"n1", "n2", "n3"};

// The home of the test pool among `up`, and the others.
std::string home_of(const std::vector<std::string>& up) {
  return sb::pick_pool_home("test-pool", up);
}

} // namespace

TEST_CASE("the home is the same on every node and moves only with the membership") {
  auto h = home_of(all);
  CHECK(h == home_of({"n3", "n2", "n1"}));
  CHECK(home_of(others(all, "zz")) == h);
  CHECK(home_of({}) == "");
  CHECK(home_of({"solo"}) == "solo");
}

TEST_CASE_METHOD(front_fixture, "calls on every node share one limit at the home") {
  std::map<std::string, sb::pool_actor> f;
  for (auto& n : all)
    f[n] = front(n);
  for (auto& n : all)
    view(n, all);
  auto home = home_of(all);
  auto rest = others(all, home);
  // Two leases from two non-home nodes fill the limit of 2; the home's own call waits.
  auto& a = client();
  auto ha = acquire(a, f[rest[0]], 1);
  auto la = lease_of(a, ha);
  auto& b = client();
  auto hb = acquire(b, f[rest[1]], 1);
  auto lb = lease_of(b, hb);
  auto& c = client();
  auto hc = acquire(c, f[home], 1);
  CHECK_FALSE(answered(c));
  auto st = stats_of(home);
  CHECK(st.active == 2);
  CHECK(st.queued == 1);
  CHECK(st.home == home);
  CHECK(stats_of(rest[0]).node_active == 1);
  // A release on one node serves the waiter on another.
  release(a, f[rest[0]], la.id);
  auto lc = lease_of(c, hc);
  CHECK(lc.ticket == 1);
  // A cancelled wait on a remote node leaves the home's queue.
  auto& d = client();
  auto hd = acquire(d, f[rest[0]], 7);
  CHECK(stats_of(home).queued == 1);
  cancel(d, f[rest[0]], 7);
  CHECK(error_of(d, hd) == sb::make_error(pool_errc::cancelled));
  CHECK(stats_of(home).queued == 0);
  release(b, f[rest[1]], lb.id);
  release(c, f[home], lc.id);
  st = stats_of(home);
  CHECK(st.active == 0);
  CHECK(st.acquired == st.released + st.reclaimed);
}

TEST_CASE_METHOD(front_fixture, "a dead node's leases go back and its waiters leave") {
  std::map<std::string, sb::pool_actor> f;
  for (auto& n : all)
    f[n] = front(n);
  for (auto& n : all)
    view(n, all);
  auto home = home_of(all);
  auto rest = others(all, home);
  auto& a = client();
  auto ha = acquire(a, f[rest[0]], 1);
  lease_of(a, ha);
  auto& a2 = client();
  auto ha2 = acquire(a2, f[rest[0]], 1);
  lease_of(a2, ha2);
  auto& w = client();
  auto hw = acquire(w, f[rest[1]], 1);
  CHECK_FALSE(answered(w));
  // The node dies: its front goes, the home's engine sees its holder down.
  self->send_exit(fronts[rest[0]], caf::exit_reason::kill);
  sched.run();
  auto lw = lease_of(w, hw);
  CHECK(lw.ticket == 1);
  auto st = stats_of(home);
  CHECK(st.reclaimed == 2);
  CHECK(st.active == 1);
}

TEST_CASE_METHOD(front_fixture, "a new home rebuilds from the survivors before it grants") {
  std::map<std::string, sb::pool_actor> f;
  for (auto& n : all)
    f[n] = front(n);
  for (auto& n : all)
    view(n, all);
  auto old_home = home_of(all);
  auto rest = others(all, old_home);
  auto next = home_of(rest);
  auto other = rest[0] == next ? rest[1] : rest[0];
  // Two leases in use on the survivors: the limit of 2 is full.
  auto& a = client();
  auto ha = acquire(a, f[other], 1);
  auto la = lease_of(a, ha);
  auto& b = client();
  auto hb = acquire(b, f[next], 1);
  auto lb = lease_of(b, hb);
  // The home dies. The next home learns it first and must not grant before `other`
  // reported its lease, nor after (the limit is full).
  self->send_exit(fronts[old_home], caf::exit_reason::kill);
  sched.run();
  view(next, rest);
  auto& c = client();
  auto hc = acquire(c, f[next], 2);
  CHECK_FALSE(answered(c));
  CHECK(stats_of(next).home == next);
  view(other, rest);
  CHECK_FALSE(answered(c));  // both old leases adopted: still full
  auto st = stats_of(next);
  CHECK(st.active == 2);
  CHECK(st.adopted == 2);
  CHECK(st.queued == 1);
  // A lease taken from the old home is released through the new one.
  release(a, f[other], la.id);
  auto lc = lease_of(c, hc);
  CHECK(lc.ticket == 2);
  release(b, f[next], lb.id);
  release(c, f[next], lc.id);
  st = stats_of(next);
  CHECK(st.active == 0);
  CHECK(st.double_releases == 0);
  CHECK(st.unknown_releases == 0);
}

TEST_CASE_METHOD(front_fixture, "a waiter keeps its deadline across a takeover") {
  std::map<std::string, sb::pool_actor> f;
  for (auto& n : all)
    f[n] = front(n);
  for (auto& n : all)
    view(n, all);
  auto old_home = home_of(all);
  auto rest = others(all, old_home);
  auto next = home_of(rest);
  auto other = rest[0] == next ? rest[1] : rest[0];
  auto& a = client();
  auto ha = acquire(a, f[other], 1);
  lease_of(a, ha);
  auto& b = client();
  auto hb = acquire(b, f[other], 1);
  lease_of(b, hb);
  auto& w = client();
  auto hw = acquire(w, f[other], 1, caf::timespan{10s});
  CHECK_FALSE(answered(w));
  self->send_exit(fronts[old_home], caf::exit_reason::kill);
  sched.run();
  view(next, rest);
  view(other, rest);
  advance(9s);
  CHECK_FALSE(answered(w));
  advance(1s);
  CHECK(error_of(w, hw) == sb::make_error(pool_errc::queue_timeout));
}

TEST_CASE_METHOD(front_fixture, "a node alone in a cluster grants only its local share") {
  auto f = front("solo", 1);
  view("solo", {"solo"}, true);
  auto& a = client();
  auto ha = acquire(a, f, 1);
  auto la = lease_of(a, ha);
  auto& b = client();
  auto hb = acquire(b, f, 1);
  CHECK_FALSE(answered(b));
  CHECK(stats_of("solo").capacity == 1);
  release(a, f, la.id);
  lease_of(b, hb);
}

TEST_CASE_METHOD(front_fixture, "the pool's totals survive a hand-over to another home") {
  std::map<std::string, sb::pool_actor> f;
  for (auto& n : all)
    f[n] = front(n);
  for (auto& n : all)
    view(n, all);
  auto old_home = home_of(all);
  auto rest = others(all, old_home);
  auto next = home_of(rest);
  // Three leases taken and returned through the old home, one request refused.
  for (uint64_t t = 1; t <= 3; ++t) {
    auto& a = client();
    auto h = acquire(a, f[next], t);
    release(a, f[next], lease_of(a, h).id);
  }
  auto st = stats_of(next);  // as the stats poller asks every node's front
  CHECK(st.acquired == 3);
  CHECK(st.released == 3);
  // The home dies; the next one's engine starts from zero but the totals go on.
  self->send_exit(fronts[old_home], caf::exit_reason::kill);
  sched.run();
  for (auto& n : rest)
    view(n, rest);
  auto& b = client();
  auto hb = acquire(b, f[next], 9);
  release(b, f[next], lease_of(b, hb).id);
  st = stats_of(next);
  CHECK(st.home == next);
  CHECK(st.acquired == 4);
  CHECK(st.released == 4);
  uint64_t waits = 0;
  for (auto c : st.wait_counts)
    waits += c;
  CHECK(waits == 4);
  REQUIRE(st.keys.size() == 1);
  CHECK(st.keys[0].acquired == 4);
  // The other survivor sees the same totals from the new home.
  CHECK(stats_of(rest[0] == next ? rest[1] : rest[0]).acquired == 4);
}

TEST_CASE_METHOD(front_fixture,
                 "with static shares every node grants only its share, whatever the view") {
  // [cluster] pool_limits = shares: limit 2 split as 1 + 1 (a third node would have 0,
  // refused by the config); with every member up, each node is still its own home.
  std::map<std::string, sb::pool_actor> f;
  for (auto& n : {"n1", "n2"}) {
    sb::pool_front_config c{base_config(2), 1, n, true};
    c.static_share = true;
    fronts[n] = sb::spawn_pool_front(sys, c);
    sched.run();
    f[n] = fronts[n];
    pools.push_back(f[n]);
  }
  for (auto& n : {"n1", "n2"})
    view(n, {"n1", "n2"});
  for (auto& n : {"n1", "n2"}) {
    auto st = stats_of(n);
    CHECK(st.home == n);
    CHECK(st.capacity == 1);
    CHECK(st.authority == "static share: 1 of 2 per key, no home");
  }
  auto& a = client();
  auto ha = acquire(a, f["n1"], 1);
  auto la = lease_of(a, ha);
  // n1's second call waits for n1's own share, although n2's is free.
  auto& b = client();
  auto hb = acquire(b, f["n1"], 2);
  CHECK_FALSE(answered(b));
  auto& c = client();
  auto hc = acquire(c, f["n2"], 1);
  lease_of(c, hc);
  // A split, a heal, a node alone: nothing changes the share.
  view("n1", {"n1"}, true);
  view("n1", {"n1", "n2"});
  CHECK_FALSE(answered(b));
  release(a, f["n1"], la.id);
  lease_of(b, hb);
}
