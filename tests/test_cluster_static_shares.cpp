// Static shares ([cluster] pool_limits = shares), end to end: three nodes without a
// coordinator, each keeping to its local share of one STT account (2 + 2 + 2 = the
// simulator's limit of 6) whatever the membership: with every node up, with one node cut
// off from the others by the test proxy (the 2 + 1 split in which homes would grant the
// whole limit on one side and a share on the other), and after the heal. The provider
// simulator is the oracle: its peak never above the limit, nothing refused, and every call
// served. A node with the other setting is refused at join with both values.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/support/lease_cluster.hpp"
#include "tests/support/pool_cluster.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using sb::test::lease_cluster;
using sb::test::link_mode;

namespace {

constexpr int limit = 6;

std::vector<std::string> share_sets() {
  auto sets = sb::test::lease_node_sets("shares-secret", limit);
  sets.insert(sets.end(), {"cluster.pool_limits=shares", "pool.stt.local_share=2",
                           "pool.llm.local_share=50", "pool.tts.local_share=10"});
  return sets;
}

bool all_up(lease_cluster& c, const std::vector<size_t>& which) {
  for (auto i : which) {
    auto m = sb::test::member_states(c.nodes[i].http_port);
    for (auto j : which)
      if (m[lease_cluster::name(j)] != "up")
        return false;
  }
  return true;
}

} // namespace

TEST_CASE("with static shares a 2 + 1 split never exceeds the provider's limit") {
  lease_cluster c(sb::test::lease_sim_flags(limit), share_sets(),
                  std::vector<std::vector<std::string>>(3), true);
  REQUIRE(sb::test::wait_until([&] { return all_up(c, {0, 1, 2}); }, 30s));
  for (size_t i = 0; i < 3; ++i) {
    auto p = c.stt_pool(i);
    CHECK(p.value("home", "") == lease_cluster::name(i));  // no shared home
    CHECK(p.value("capacity", 0) == 2);
  }
  // Every node wants more than its share for the whole scenario.
  sb::test::call_runner on0(c.nodes[0].http_port, 4, 3);
  sb::test::call_runner on1(c.nodes[1].http_port, 4, 3);
  sb::test::call_runner on2(c.nodes[2].http_port, 4, 3);
  REQUIRE(sb::test::wait_until([&] { return c.sim_stt().value("current", 0) == limit; }, 30s));
  // Node 3 is cut off from the two others (every link blackholed, sockets open).
  auto cut_at = std::chrono::steady_clock::now();
  c.proxy->set_node(lease_cluster::name(2), link_mode::blackhole);
  REQUIRE(sb::test::wait_until([&] {
    return sb::test::member_states(c.nodes[0].http_port)[lease_cluster::name(2)] == "down";
  }, 20s));
  for (size_t i = 0; i < 3; ++i)
    CHECK(c.stt_pool(i).value("capacity", 0) == 2);  // the split changes no share
  std::this_thread::sleep_until(cut_at + 10s);  // the scenario's length, not a wait
  c.proxy->set_node(lease_cluster::name(2), link_mode::pass);
  CHECK(sb::test::wait_until([&] { return all_up(c, {0, 1, 2}); }, 30s));
  int answered = on0.join() + on1.join() + on2.join();
  INFO(c.logs());
  CHECK(answered == 3 * 4 * 3);
  auto sim = c.sim_stt();
  INFO(sim.dump());
  CHECK(sim["refused"] == 0);
  CHECK(sim["peak"] <= limit);
  for (size_t i = 0; i < 3; ++i)
    CHECK(c.nodes[i].log().find("no [cluster] coordinator") == std::string::npos);
}

TEST_CASE("a node whose pool_limits differ from the cluster's is refused with both values") {
  std::string dir = sb::test::temp_dir("sb-shares");
  auto sets = share_sets();
  auto a = sb::test::start_cluster_node(dir, "alpha", "", 0, sets);
  auto other = sets;
  other.push_back("cluster.pool_limits=home");
  auto b = sb::test::start_cluster_node(dir, "bravo", a.cluster_address, 0, other);
  CHECK(b.proc.wait_exit(20s) == 1);
  INFO(b.log());
  CHECK(b.log().find("settings_mismatch") != std::string::npos);
  CHECK(b.log().find("pool_limits 'home', this cluster uses 'shares'") != std::string::npos);
  CHECK(b.log().find("no [cluster] coordinator: in a network split") != std::string::npos);
  CHECK(sb::test::member_states(a.http_port).count("bravo") == 0);
}
