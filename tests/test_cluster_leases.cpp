// Cluster-wide leases when a node freezes (docs/design/cluster-leases.md), end to end:
// three nodes share one small STT account counted by the provider simulator (the
// oracle: its peak never above the limit, no refusal). A non-home node holding streams is
// frozen with SIGSTOP for 15 s: the others declare it down after 1 s, but its leases stay
// counted at the home until they expire; meanwhile the simulator closes the frozen
// node's idle streams (its STT idle cut-off, like Deepgram's). Only then does the home
// hand the capacity to the healthy nodes' waiting calls, which all complete.
// Time-outs are generous bounds, not expected durations; the only sleep is the freeze. When the
// frozen node wakes it finds its deadlines passed and closes what is left of its streams.
#include <catch2/catch.hpp>

#include <thread>

#include "actors/pool_front.hpp"
#include "tests/support/lease_cluster.hpp"
#include "tests/support/pool_cluster.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

using clock_type = std::chrono::steady_clock;
using sb::test::lease_cluster;
using sb::test::ms_since;

constexpr int limit = 6;

// Lease timing for a short test, with the rule that keeps a frozen node safe:
// lease_ttl + lease_margin - lease_renew_interval (4.5 s) > the STT idle cut-off (2.5 s).
const std::vector<std::string> sim_flags{"--stt-limit", std::to_string(limit),
                                         "--stt-idle-timeout", "2500", "--tts-ms-per-char",
                                         "5"};
const std::vector<std::string> node_sets{
  "cluster.secret=lease-secret", "cluster.heartbeat_interval=100ms",
  "cluster.failure_timeout=1s", "cluster.lease_ttl=4s", "cluster.lease_renew_interval=500ms",
  "cluster.lease_margin=1s", "pool.stt.max_active=" + std::to_string(limit),
  "pool.stt.queue_timeout=60s", "pool.stt.local_share=2", "pool.tts.queue_timeout=30s",
  "node.max_calls=100", "call.stt_buffer=60s"};

} // namespace

TEST_CASE("a frozen non-home node's leases stay counted until they expire and the limit holds") {
  std::vector<std::string> names{lease_cluster::name(0), lease_cluster::name(1),
                                 lease_cluster::name(2)};
  auto home_name = sb::pick_pool_home("stt", names);
  size_t home = 0, frozen = 0, other = 0;
  for (size_t i = 0; i < 3; ++i)
    if (names[i] == home_name)
      home = i;
  frozen = home == 0 ? 1 : 0;
  other = 3 - home - frozen;
  // The frozen node's calls end when their streams are revoked: with nobody else in view
  // when it wakes, it would be its own home with its local share while the others use the
  // whole limit (a split; docs/design/cluster-leases.md, "Not covered").
  std::vector<std::vector<std::string>> extra(3);
  extra[frozen] = {"pool.stt.on_exhausted=end"};
  lease_cluster c(sim_flags, node_sets, extra);
  REQUIRE(sb::test::wait_until([&] { return c.settled({0, 1, 2}, home_name); }, 30s));

  // Two long calls on the node to be frozen hold two of the six streams.
  sb::test::call_runner on_frozen(c.nodes[frozen].http_port, 2, 40, 40s);
  REQUIRE(sb::test::wait_until([&] {
    return c.stt_pool(frozen).value("node_active", 0) == 2 && c.sim_stt().value("current", 0) == 2;
  }, 30s));
  auto stopped_at = clock_type::now();
  REQUIRE(c.nodes[frozen].proc.freeze());
  // The healthy nodes' calls want far more than the four streams left: some still wait
  // when the frozen node's leases expire.
  sb::test::call_runner on_home(c.nodes[home].http_port, 8, 3);
  sb::test::call_runner on_other(c.nodes[other].http_port, 8, 3);

  // Declared down after failure_timeout (1 s)...
  CHECK(sb::test::wait_until([&] {
    auto s = sb::test::member_states(c.nodes[home].http_port);
    return s[names[frozen]] == "down";
  }, 10s));
  auto down_ms = ms_since(stopped_at);
  // ...but its two leases are still counted: the home grants only the four others, and
  // further calls wait.
  json d;
  CHECK(sb::test::wait_until([&] {
    d = c.stt_pool(home);
    return (d.value("active", 0) == limit && d.value("queued", 0) > 0)
           || d.value("total_expired", 0) > 0;
  }, 10s));
  INFO(d.dump());
  CHECK(d.value("total_expired", 0) == 0);
  CHECK(d.value("total_reclaimed", 0) == 0);
  CHECK(ms_since(stopped_at) < 3500);  // still within the TTL: the check above meant it
  // They expire at the home lease_ttl + lease_margin after the last renewal.
  REQUIRE(sb::test::wait_until([&] {
    auto p = c.stt_pool(home);
    return p.value("total_expired", 0) + p.value("total_reclaimed", 0) >= 2;
  }, 20s));
  auto freed_ms = ms_since(stopped_at);
  // The capacity is in use again once the simulator sees six streams.
  REQUIRE(sb::test::wait_until([&] { return c.sim_stt().value("current", 0) == limit; },
                               20s));
  auto used_ms = ms_since(stopped_at);
  WARN("frozen node declared down after " << down_ms << " ms, its leases freed at the home "
       "after " << freed_ms << " ms, the simulator at the limit again after " << used_ms
       << " ms (lease_ttl 4 s + lease_margin 1 s, renewal every 500 ms)");
  CHECK(freed_ms >= 3500);  // never before the TTL (from a renewal at most 500 ms old)
  CHECK(freed_ms <= 7000);

  // Frozen for 15 s in all, then it wakes up.
  std::this_thread::sleep_until(stopped_at + 15s);  // the scenario's length, not a wait
  REQUIRE(c.nodes[frozen].proc.thaw());

  int answered = on_home.join() + on_other.join();
  on_frozen.join();
  INFO(c.logs());
  CHECK(answered == 48);  // every turn of the healthy nodes' 16 calls
  for (auto i : {home, other})  // no healthy node lost a stream
    CHECK(c.stt_pool(i).value("total_fenced", -1) == 0);
  auto sim = c.sim_stt();
  INFO(sim.dump());
  CHECK(sim["refused"] == 0);
  CHECK(sim["peak"] <= limit);
  // The woken node rejoins; its streams are gone (closed by the provider's idle cut-off
  // while it slept, or by its own fence when it woke).
  CHECK(sb::test::wait_until([&] { return c.settled({0, 1, 2}, home_name); }, 30s));
  CHECK(sb::test::wait_until([&] { return c.stt_pool(home).value("active", 1) == 0; }, 20s));
  CHECK(sb::test::wait_until([&] { return c.stt_pool(frozen).value("node_active", 1) == 0; },
                             20s));
}
