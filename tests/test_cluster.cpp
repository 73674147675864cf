// Cluster membership end to end: real nodes on loopback join through seeds, prove the
// secret, report their load, and detect killed and hung members.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <thread>

#include "tests/support/cluster.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using sb::test::member_states;

namespace {

using clock_type = std::chrono::steady_clock;

const std::vector<std::string> settings{"cluster.secret=test-secret",
                                        "cluster.heartbeat_interval=100ms",
                                        "cluster.failure_timeout=1s"};

bool all_up(uint16_t port, const std::vector<std::string>& names) {
  auto s = member_states(port);
  if (s.size() != names.size())
    return false;
  for (auto& n : names)
    if (s[n] != "up")
      return false;
  return true;
}

std::string states_text(uint16_t port) {
  std::string out;
  for (auto& [n, s] : member_states(port))
    out += n + "=" + s + " ";
  return out;
}

struct three_nodes {
  std::string dir = sb::test::temp_dir("sb-cluster");
  std::vector<sb::test::cluster_node> nodes;
  three_nodes() {
    nodes.push_back(sb::test::start_cluster_node(dir, "alpha", "", 0, settings));
    auto seed = nodes[0].cluster_address;
    nodes.push_back(sb::test::start_cluster_node(dir, "bravo", seed, 0, settings));
    nodes.push_back(sb::test::start_cluster_node(dir, "charlie", seed, 0, settings));
  }
  std::vector<std::string> names() const { return {"alpha", "bravo", "charlie"}; }
};

} // namespace

TEST_CASE("three nodes joined through a seed all see each other up, with their load") {
  three_nodes c;
  for (auto& n : c.nodes) {
    INFO(n.name << ": " << states_text(n.http_port) << "\n" << n.log());
    CHECK(sb::test::wait_until([&] { return all_up(n.http_port, c.names()); }, 20s));
  }
  auto stats = sb::test::get_json(c.nodes[1].http_port, "/api/v1/stats");
  CHECK(stats.contains("active_calls"));  // existing fields stay
  CHECK(stats.contains("pools"));
  auto& members = stats["cluster"]["members"];
  REQUIRE(members.size() == 3);
  CHECK(members[0]["name"] == "bravo");  // the node itself comes first
  for (auto& m : members) {
    CHECK(m["capacity"] == 2000);
    CHECK(m["active_calls"] == 0);
    CHECK(m["address"].get<std::string>().rfind("127.0.0.1:", 0) == 0);
    CHECK(m.contains("last_heard_ms"));
  }
  auto health = sb::test::get_json(c.nodes[2].http_port, "/health");
  CHECK(health["status"] == "ok");
  CHECK(health["cluster"]["up"] == 3);
}

TEST_CASE("a killed node is marked down on the others, and rejoins when restarted") {
  three_nodes c;
  for (auto& n : c.nodes)
    REQUIRE(sb::test::wait_until([&] { return all_up(n.http_port, c.names()); }, 20s));
  auto port = static_cast<uint16_t>(
    std::stoi(c.nodes[2].cluster_address.substr(c.nodes[2].cluster_address.rfind(':') + 1)));
  auto killed_at = clock_type::now();
  c.nodes[2].proc.stop(SIGKILL);
  for (size_t i = 0; i < 2; ++i) {
    INFO(c.nodes[i].name << ": " << states_text(c.nodes[i].http_port));
    CHECK(sb::test::wait_until(
      [&] { return member_states(c.nodes[i].http_port)["charlie"] == "down"; }, 20s));
  }
  auto detected = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() -
                                                                        killed_at);
  INFO("detected after " << detected.count() << " ms");
  CHECK(detected < 10s);  // closed link: at once; generous bound for a loaded machine
  auto reason = sb::test::get_json(c.nodes[0].http_port, "/api/v1/stats")["cluster"];
  CHECK(reason.dump().find("link closed") != std::string::npos);

  // Restarted on the same cluster port, seeded by bravo: it rejoins and is up everywhere.
  c.nodes[2] = sb::test::start_cluster_node(c.dir, "charlie", c.nodes[1].cluster_address,
                                            port, settings);
  for (auto& n : c.nodes) {
    INFO(n.name << ": " << states_text(n.http_port) << "\n" << n.log());
    CHECK(sb::test::wait_until([&] { return all_up(n.http_port, c.names()); }, 20s));
  }
}

// The longest silence a "no heartbeat for N ms" line of the log reports.
long longest_silence(const std::string& log) {
  const std::string key = "no heartbeat for ";
  long most = 0;
  for (auto at = log.find(key); at != std::string::npos; at = log.find(key, at + 1))
    most = std::max(most, std::stol(log.substr(at + key.size())));
  return most;
}

TEST_CASE("a hung node is declared down after the failure timeout and comes back") {
  three_nodes c;
  for (auto& n : c.nodes)
    REQUIRE(sb::test::wait_until([&] { return all_up(n.http_port, c.names()); }, 20s));
  auto stopped_at = clock_type::now();
  REQUIRE(c.nodes[1].proc.freeze());
  for (size_t i : {0, 2}) {
    INFO(c.nodes[i].name << ": " << states_text(c.nodes[i].http_port));
    CHECK(sb::test::wait_until(
      [&] { return member_states(c.nodes[i].http_port)["bravo"] == "down"; }, 20s));
  }
  // Frozen for 4 s in all (the scenario's length, not a wait): four failure timeouts.
  std::this_thread::sleep_until(stopped_at + 4s);
  REQUIRE(c.nodes[1].proc.thaw());
  for (auto& n : c.nodes) {
    INFO(n.name << " (process state " << n.proc.proc_state() << "): "
         << states_text(n.http_port) << "\n" << n.log());
    CHECK(sb::test::wait_until([&] { return all_up(n.http_port, c.names()); }, 20s));
  }
  // The woken node saw that it was the one stalled: the others' heartbeats of those 4 s
  // were unread, not missing. It did not declare them down for it (a member it did
  // declare down was silent for about the failure timeout while bravo ran, not 4 s).
  auto log = c.nodes[1].log();
  INFO(log);
  CHECK(log.find("this node was stalled for") != std::string::npos);
  CHECK(longest_silence(log) < 3000);
}

TEST_CASE("a node with the wrong secret is refused, says why and exits") {
  auto dir = sb::test::temp_dir("sb-cluster");
  auto a = sb::test::start_cluster_node(dir, "alpha", "", 0, settings);
  auto bad_settings = settings;
  bad_settings[0] = "cluster.secret=not-the-secret";
  auto bad = sb::test::start_cluster_node(dir, "mallory", a.cluster_address, 0, bad_settings);
  auto code = bad.proc.wait_exit(20s);
  INFO(bad.log());
  CHECK(code == 1);
  CHECK(bad.log().find("cluster secret mismatch") != std::string::npos);
  auto states = member_states(a.http_port);
  CHECK(states.size() == 1);
  CHECK(states.count("mallory") == 0);
}

TEST_CASE("a node with other lease settings is refused with both values") {
  auto dir = sb::test::temp_dir("sb-cluster");
  auto a = sb::test::start_cluster_node(dir, "alpha", "", 0, settings);
  auto other = settings;
  other.push_back("cluster.lease_margin=3s");
  auto b = sb::test::start_cluster_node(dir, "bravo", a.cluster_address, 0, other);
  CHECK(b.proc.wait_exit(20s) == 1);
  INFO(b.log());
  CHECK(b.log().find("settings_mismatch") != std::string::npos);
  CHECK(b.log().find("lease_ttl/lease_margin 10000/3000 ms, this cluster uses 10000/2000 ms")
        != std::string::npos);
  CHECK(member_states(a.http_port).count("bravo") == 0);
}

TEST_CASE("a node with other heartbeat settings is refused with both values") {
  auto dir = sb::test::temp_dir("sb-cluster");
  auto a = sb::test::start_cluster_node(dir, "alpha", "", 0, settings);
  auto other = settings;
  other[1] = "cluster.heartbeat_interval=200ms";
  auto b = sb::test::start_cluster_node(dir, "bravo", a.cluster_address, 0, other);
  CHECK(b.proc.wait_exit(20s) == 1);
  INFO(b.log());
  CHECK(b.log().find("settings_mismatch") != std::string::npos);
  CHECK(member_states(a.http_port).count("bravo") == 0);
}
