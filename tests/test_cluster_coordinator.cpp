// One home at a time ([cluster] coordinator, docs/design/cluster-leases.md H10-H12), end
// to end: a real redis-server started by the test on a free loopback port, two nodes
// sharing one small STT account counted by the provider simulator (the oracle: its peak
// never above the limit, no refusal).
// - Split: every link between the two nodes goes through a test proxy and is blackholed
//   for 20 s. Each side is then alone and its own home by its view; only the side
//   holding the pool's home lease in Redis grants, the other grants nothing
//   (local_share 0) and its calls wait; after the heal they are served.
// - Redis gone: the home keeps granting until its lease runs out, then grants only its
//   local share; the reason is logged and shown as cluster.coordinator; when Redis is
//   back it claims a fresh lease and, after the recovery wait, grants the limit again.
// Time-outs are generous bounds; the only sleep is the length of the split.
#include <catch2/catch.hpp>

#include <optional>
#include <thread>

#include "actors/pool_front.hpp"
#include "tests/support/lease_cluster.hpp"
#include "tests/support/pool_cluster.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;
using sb::test::lease_cluster;
using sb::test::link_mode;
using sb::test::ms_since;

namespace {

using clock_type = std::chrono::steady_clock;

constexpr int limit = 4;

const std::vector<std::string> sim_flags = sb::test::lease_sim_flags(limit);

// Only STT is a limited account here (the simulator limits nothing else): the LLM and TTS
// pools' local shares are their whole limit, so each side of a split can still answer
// with them whichever node holds their home leases.
std::vector<std::string> node_sets(const std::string& coordinator, int local_share) {
  auto sets = sb::test::lease_node_sets("coord-secret", limit);
  sets.insert(sets.end(), {"cluster.coordinator=" + coordinator,
                           "pool.stt.local_share=" + std::to_string(local_share),
                           "pool.llm.local_share=50", "pool.tts.local_share=10"});
  return sets;
}

struct roles {
  std::string home_name;
  size_t home = 0, other = 1;
};

roles pick_roles() {
  roles r;
  r.home_name = sb::pick_pool_home("stt", {lease_cluster::name(0), lease_cluster::name(1)});
  r.home = r.home_name == lease_cluster::name(0) ? 0 : 1;
  r.other = 1 - r.home;
  return r;
}

std::string authority(lease_cluster& c, size_t i) {
  return c.stt_pool(i).value("authority", std::string{});
}

// The home grants under its lease (past the recovery wait of its claim).
bool granting(lease_cluster& c, size_t i) {
  auto a = authority(c, i);
  return a.rfind("home lease, epoch", 0) == 0 && a.find("recovering") == std::string::npos;
}

json coordinator_of(lease_cluster& c, size_t i) {
  return sb::test::get_json(c.nodes[i].http_port, "/api/v1/stats")["cluster"]["coordinator"];
}

} // namespace

TEST_CASE("in a two-node split only the node holding the home lease in Redis grants") {
  auto r = pick_roles();
  std::string dir = sb::test::temp_dir("sb-redis");
  sb::test::redis_server redis(dir);
  lease_cluster c(sim_flags, node_sets(redis.url(), 0),
                  std::vector<std::vector<std::string>>(2), true);
  REQUIRE(sb::test::wait_until([&] { return c.settled({0, 1}, r.home_name); }, 30s));
  REQUIRE(sb::test::wait_until([&] { return granting(c, r.home); }, 30s));
  CHECK(authority(c, r.other) == "the home is " + r.home_name);
  auto home_name = c.nodes[r.home].name, other_name = c.nodes[r.other].name;

  // Two long calls on the other node hold two of the four streams.
  sb::test::call_runner first(c.nodes[r.other].http_port, 2, 40, 40s);
  REQUIRE(sb::test::wait_until([&] {
    return c.stt_pool(r.other).value("node_active", 0) == 2 && c.sim_stt().value("current", 0) == 2;
  }, 30s));
  auto cut_at = clock_type::now();
  c.proxy->set_node(other_name, link_mode::blackhole);
  // Calls on both sides want far more than the limit.
  sb::test::call_runner on_home(c.nodes[r.home].http_port, 6, 3);
  sb::test::call_runner on_other(c.nodes[r.other].http_port, 4, 2);

  // Alone, the other node is its own home by its view, but Redis says the home lease is
  // the home's: it grants nothing, and its two leases run out (fenced: it cannot renew).
  REQUIRE(sb::test::wait_until([&] {
    return authority(c, r.other).rfind("no home lease: held by " + home_name + "/", 0) == 0;
  }, 10s));
  CHECK(sb::test::wait_until([&] { return c.stt_pool(r.other).value("total_fenced", 0) == 2; },
                             10s));
  // The home keeps its lease and, once the other node's leases expired, uses the limit.
  REQUIRE(sb::test::wait_until([&] { return c.sim_stt().value("current", 0) == limit; }, 20s));
  auto used_ms = ms_since(cut_at);
  CHECK(granting(c, r.home));
  CHECK(coordinator_of(c, r.home).value("state", "") == "ok");
  WARN("split: the home used the whole limit again after " << used_ms << " ms");

  std::this_thread::sleep_until(cut_at + 20s);  // the scenario's length, not a wait
  // The other side waited all along: at the end of the split none of its calls has a
  // stream, and they are queued (the simulator's peak, checked below, covers every moment).
  {
    auto p = c.stt_pool(r.other);
    CHECK(p.value("node_active", -1) == 0);
    CHECK(p.value("queued", 0) > 0);
  }
  c.proxy->set_node(other_name, link_mode::pass);
  CHECK(sb::test::wait_until([&] { return c.settled({0, 1}, r.home_name); }, 30s));

  int answered = on_home.join() + on_other.join();
  first.join();
  INFO(c.logs());
  CHECK(answered == 6 * 3 + 4 * 2);  // the waiting side is served after the heal
  auto sim = c.sim_stt();
  INFO(sim.dump());
  CHECK(sim["refused"] == 0);
  CHECK(sim["peak"] <= limit);
}

TEST_CASE("without Redis the home stops granting beyond its local share and says why") {
  auto r = pick_roles();
  std::string dir = sb::test::temp_dir("sb-redis");
  sb::test::redis_server redis(dir);
  lease_cluster c(sim_flags, node_sets(redis.url(), 1),
                  std::vector<std::vector<std::string>>(2));
  REQUIRE(sb::test::wait_until([&] { return c.settled({0, 1}, r.home_name); }, 30s));
  REQUIRE(sb::test::wait_until([&] { return granting(c, r.home); }, 30s));
  CHECK(coordinator_of(c, r.home).value("state", "") == "ok");

  auto stopped_at = clock_type::now();
  redis.stop();
  // Degraded while the lease is still valid, then an error once it ran out. The degraded
  // spell lasts the rest of the lease (about 3 s), too short to be sure a poll of /health
  // sees it on a loaded machine (a whole-suite run under load missed it): the node's log
  // of each change is read once the error is there.
  REQUIRE(sb::test::wait_until([&] {
    return coordinator_of(c, r.home).value("state", "") == "error";
  }, 10s));
  auto lost_ms = ms_since(stopped_at);
  auto log = c.nodes[r.home].log();
  auto degraded_at = log.find("unreachable: ");
  INFO(log);
  REQUIRE(degraded_at != std::string::npos);
  auto first = log.substr(degraded_at, log.find('\n', degraded_at) - degraded_at);
  CHECK(first.find("the home leases held here are still valid") != std::string::npos);
  CHECK(log.find("grant only their local share", degraded_at) != std::string::npos);
  auto h = coordinator_of(c, r.home);
  INFO(h.dump());
  CHECK(h.value("reason", "").find("coordinator " + redis.url() + " unreachable") == 0);
  CHECK(h.value("reason", "").find("local share") != std::string::npos);
  CHECK(authority(c, r.home).rfind("no home lease: coordinator unreachable", 0) == 0);
  CHECK(c.nodes[r.home].log().find("coordinator " + redis.url() + " unreachable")
        != std::string::npos);
  CHECK(lost_ms >= 3000);  // the lease (4 s from its last renewal) was used to its end
  // The home's /health says so: error (503), the coordinator named as the reason.
  auto health = sb::test::http_request(c.nodes[r.home].http_port, "GET", "/health");
  INFO(health.body);
  CHECK(health.status == 503);
  CHECK(health.body.find("\"status\":\"error\"") != std::string::npos);
  CHECK(health.body.find("coordinator") != std::string::npos);

  // Calls on the home now get only its local share of one stream; the other node's get
  // nothing (its home serves only itself).
  sb::test::call_runner on_home(c.nodes[r.home].http_port, 3, 2);
  sb::test::call_runner on_other(c.nodes[r.other].http_port, 2, 1);
  REQUIRE(sb::test::wait_until([&] { return c.sim_stt().value("current", 0) == 1; }, 20s));
  // The home's other callers wait in its queue rather than get a stream: once they are
  // queued, the provider has seen at most the one stream of the local share.
  REQUIRE(sb::test::wait_until([&] {
    auto pools = sb::test::get_json(c.nodes[r.home].http_port, "/api/v1/stats")["pools"];
    return pools["stt"].value("queued", 0) >= 2;
  }, 20s));
  CHECK(c.sim_stt().value("peak", 0) <= 1);

  // Redis back (empty): a fresh claim, the recovery wait, then the whole limit again.
  auto back_at = clock_type::now();
  redis.restart();
  REQUIRE(sb::test::wait_until([&] { return granting(c, r.home); }, 20s));
  auto granting_ms = ms_since(back_at);
  CHECK(granting_ms >= 4500);  // lease_ttl + lease_margin after the claim
  CHECK(sb::test::wait_until([&] {
    return coordinator_of(c, r.home).value("state", "") == "ok";
  }, 5s));
  CHECK(sb::test::http_request(c.nodes[r.home].http_port, "GET", "/health").status == 200);
  WARN("Redis gone: home lease lost after " << lost_ms << " ms; back: granting again after "
       << granting_ms << " ms");
  int answered = on_home.join() + on_other.join();
  INFO(c.logs());
  CHECK(answered == 3 * 2 + 2);
  auto sim = c.sim_stt();
  INFO(sim.dump());
  CHECK(sim["refused"] == 0);
  CHECK(sim["peak"] <= limit);
}

TEST_CASE("a link flapping every 2 s under a coordinator never lets two homes grant") {
  // Three nodes; the link between the home and another node is reset for 2 s, passes for
  // 2 s, for a minute (15 cycles), with calls on every node in the first and the second
  // half. Each reset closes that link at once: the two ends declare each other
  // down and compute different homes; only the one holding the home lease grants.
  std::vector<std::string> names{lease_cluster::name(0), lease_cluster::name(1),
                                 lease_cluster::name(2)};
  auto home_name = sb::pick_pool_home("stt", names);
  size_t home = 0;
  for (size_t i = 0; i < 3; ++i)
    if (names[i] == home_name)
      home = i;
  size_t flapping = home == 0 ? 1 : 0, other = 3 - home - flapping;
  std::string dir = sb::test::temp_dir("sb-redis");
  sb::test::redis_server redis(dir);
  lease_cluster c(sim_flags, node_sets(redis.url(), 0),
                  std::vector<std::vector<std::string>>(3), true);
  REQUIRE(sb::test::wait_until([&] { return c.settled({0, 1, 2}, home_name); }, 30s));
  REQUIRE(sb::test::wait_until([&] { return granting(c, home); }, 30s));

  sb::test::call_runner on_flapping(c.nodes[flapping].http_port, 4, 3);
  sb::test::call_runner on_home(c.nodes[home].http_port, 4, 3);
  sb::test::call_runner on_other(c.nodes[other].http_port, 4, 3);
  auto start = clock_type::now();
  // The flapping schedule: cut for 2 s, up for 2 s. The simulator's peak (checked below)
  // records the most streams open at any moment.
  std::optional<sb::test::call_runner> late_flapping, late_home, late_other;
  for (int cycle = 0; cycle < 15; ++cycle) {
    if (cycle == 7) {  // the second half's calls
      late_flapping.emplace(c.nodes[flapping].http_port, 4, 3);
      late_home.emplace(c.nodes[home].http_port, 4, 3);
      late_other.emplace(c.nodes[other].http_port, 4, 3);
    }
    c.proxy->set_link(names[home], names[flapping], link_mode::reset);
    std::this_thread::sleep_until(start + std::chrono::seconds{4 * cycle + 2});
    c.proxy->set_link(names[home], names[flapping], link_mode::pass);
    std::this_thread::sleep_until(start + std::chrono::seconds{4 * cycle + 4});
  }
  CHECK(c.proxy->connections(names[home], names[flapping]) > 15);  // it did reconnect
  CHECK(sb::test::wait_until([&] { return c.settled({0, 1, 2}, home_name); }, 30s));
  int healthy = on_home.join() + on_other.join() + late_home->join() + late_other->join();
  int flapped = on_flapping.join() + late_flapping->join();
  INFO(c.logs());
  auto sim = c.sim_stt();
  INFO(sim.dump());
  CHECK(sim["refused"] == 0);
  CHECK(sim["peak"] <= limit);
  // The calls away from the flapping link are all served.
  WARN("flapping: " << healthy << " of 48 turns answered on the other nodes, " << flapped
       << " of 24 on the flapping node");
  CHECK(healthy == 48);
}

TEST_CASE("a node without the cluster's coordinator is refused with both values") {
  std::string dir = sb::test::temp_dir("sb-redis");
  sb::test::redis_server redis(dir);
  auto sets = node_sets(redis.url(), 0);
  auto a = sb::test::start_cluster_node(dir, "alpha", "", 0, sets);
  auto other = sets;
  other.push_back("cluster.coordinator=");
  auto b = sb::test::start_cluster_node(dir, "bravo", a.cluster_address, 0, other);
  CHECK(b.proc.wait_exit(20s) == 1);
  INFO(b.log());
  CHECK(b.log().find("settings_mismatch") != std::string::npos);
  CHECK(b.log().find("coordinator '', this cluster uses '" + redis.url() + "'")
        != std::string::npos);
  CHECK(sb::test::member_states(a.http_port).count("bravo") == 0);
}
