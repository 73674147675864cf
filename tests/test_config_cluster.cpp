// Config validation of the [cluster] section and pool shares (runtime/config).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/config_checks.hpp"

using namespace std::chrono_literals;
using namespace sb::test::config;
using strings = std::vector<std::string>;

TEST_CASE("[cluster] heartbeat settings: ranges, and the timeout covers two heartbeats") {
  auto r = load_config("", {"cluster.heartbeat_interval=200ms", "cluster.failure_timeout=2s"});
  CHECK(messages(r) == strings{});
  CHECK(r.config.cluster.heartbeat_interval == 200ms);
  CHECK(r.config.cluster.failure_timeout == 2000ms);
  CHECK(errors_of("[cluster]\nheartbeat_interval = 1s\nfailure_timeout = 1500ms\n") ==
        strings{"c.ini:3: [cluster] failure_timeout: 1500ms must be at least twice "
                "heartbeat_interval (1s)"});
  auto low = errors_of("[cluster]\nheartbeat_interval = 10ms\n");
  REQUIRE(low.size() == 1);
  CHECK(low[0].rfind("c.ini:2: [cluster] heartbeat_interval:", 0) == 0);
}

TEST_CASE("[cluster] lease settings: defaults, ranges, renewal well under the TTL") {
  auto d = load_config("", {});
  CHECK(d.config.cluster.lease_ttl == 10000ms);
  CHECK(d.config.cluster.lease_renew_interval == 1000ms);
  CHECK(d.config.cluster.lease_margin == 2000ms);
  // CAF drops a silent link only once the silent node's leases would have expired.
  CHECK(d.config.cluster.link_timeout() == 12000ms);
  auto r = load_config("", {"cluster.lease_ttl=4s", "cluster.lease_renew_interval=500ms",
                            "cluster.lease_margin=1s", "cluster.failure_timeout=1s",
                            "cluster.heartbeat_interval=100ms"});
  CHECK(messages(r) == strings{});
  CHECK(r.config.cluster.lease_ttl == 4000ms);
  CHECK(r.config.cluster.link_timeout() == 5000ms);
  CHECK(errors_of("[cluster]\nlease_ttl = 2s\nlease_renew_interval = 1s\n") ==
        strings{"c.ini:3: [cluster] lease_renew_interval: 1s must be at most a third of "
                "lease_ttl (2s)"});
  CHECK(errors_of("[cluster]\nlease_margin = 50ms\n") ==
        strings{"c.ini:2: [cluster] lease_margin: 50ms is too small; at least 100ms (the "
                "holder's time to close its streams)"});
  auto low = errors_of("[cluster]\nlease_ttl = 100ms\n");
  REQUIRE(low.size() >= 1);
  CHECK(low[0].rfind("c.ini:2: [cluster] lease_ttl:", 0) == 0);
}

TEST_CASE("[cluster] advertise and coordinator: empty by default, HOST:PORT and redis://") {
  auto d = load_config("", {});
  CHECK(d.config.cluster.advertise.empty());
  CHECK(d.config.cluster.coordinator.empty());
  auto r = load_config("", {"cluster.advertise=10.0.0.5:4301",
                            "cluster.coordinator=redis://127.0.0.1:6379"});
  CHECK(messages(r) == strings{});
  CHECK(r.config.cluster.advertise == "10.0.0.5:4301");
  CHECK(r.config.cluster.coordinator == "redis://127.0.0.1:6379");
  CHECK(errors_of("[cluster]\nadvertise = 10.0.0.5\n") ==
        strings{"c.ini:2: [cluster] advertise: missing port, expected HOST:PORT (e.g. "
                "127.0.0.1:8080) ('10.0.0.5')"});
  CHECK(errors_of("[cluster]\nadvertise = 10.0.0.5:0\n").size() == 1);
  CHECK(errors_of("[cluster]\ncoordinator = 127.0.0.1:6379\n") ==
        strings{"c.ini:2: [cluster] coordinator: expected redis://HOST:PORT (or empty for "
                "none) ('127.0.0.1:6379')"});
  CHECK(errors_of("[cluster]\ncoordinator = redis://r\n").size() == 1);
}

TEST_CASE("[cluster] TLS needs cert, key and CA together, and readable files") {
  temp_dir dir;
  auto cert = dir.write("node.pem", "x");
  auto key = dir.write("node.key", "x");
  auto ca = dir.write("ca.pem", "x");
  auto ok = load_config("", {"cluster.tls_cert=" + cert, "cluster.tls_key=" + key,
                             "cluster.tls_ca=" + ca});
  CHECK(messages(ok) == strings{});
  CHECK(ok.config.cluster.tls());
  auto path = dir.write("c.ini", "[node]\nname = a\n\n[cluster]\ntls_cert = " + cert + "\n");
  auto r = load_config(path, {});
  CHECK(messages(r) ==
        strings{path + ":5: [cluster] TLS needs tls_cert, tls_key and tls_ca together: "
                       "tls_cert set, tls_key, tls_ca missing"});
  auto missing = load_config("", {"cluster.tls_cert=" + cert, "cluster.tls_key=" + key,
                                  "cluster.tls_ca=" + dir.path.string() + "/nope.pem"});
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].message.find("[cluster] tls_ca: cannot read") == 0);
}

TEST_CASE("[pool.*] local_share: a part of max_active, reported where it was set") {
  auto r = load_config("", {"pool.stt.max_active=20", "pool.stt.local_share=7"});
  CHECK(messages(r) == strings{});
  CHECK(r.config.pool_stt.local_share == 7);
  CHECK(sb::node_config{}.pool_tts.local_share == 0);  // 0 = max_active
  CHECK(errors_of("[pool.tts]\nmax_active = 4\nlocal_share = 5\n") ==
        strings{"c.ini:3: [pool.tts] local_share: 5 is more than max_active (4); a node's "
                "share must be a part of the limit"});
  auto bad = errors_of("[pool.llm]\nlocal_share = -1\n");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].rfind("c.ini:2: [pool.llm] local_share:", 0) == 0);
}

TEST_CASE("[cluster] pool_limits: home by default; shares needs every share and no "
          "coordinator") {
  auto d = load_config("", {});
  CHECK(d.config.cluster.pool_limits == "home");
  CHECK_FALSE(d.config.cluster.static_shares());
  auto r = load_config("", {"cluster.pool_limits=shares", "pool.stt.local_share=5",
                            "pool.llm.local_share=10", "pool.tts.local_share=3"});
  CHECK(messages(r) == strings{});
  CHECK(r.config.cluster.static_shares());
  CHECK(errors_of("[cluster]\npool_limits = split\n") ==
        strings{"c.ini:2: [cluster] pool_limits: must be one of: home, shares ('split')"});
  auto e = errors_of("[cluster]\npool_limits = shares\ncoordinator = redis://127.0.0.1:6379\n"
                     "[pool.stt]\nlocal_share = 5\n[pool.llm]\nlocal_share = 5\n"
                     "[pool.tts]\nlocal_share = 2\n");
  CHECK(e == strings{"c.ini:2: [cluster] pool_limits: shares needs no coordinator (no node "
                     "is a home); remove coordinator, or use pool_limits = home"});
  auto z = errors_of("[cluster]\npool_limits = shares\n[pool.stt]\nlocal_share = 5\n"
                     "[pool.llm]\nlocal_share = 5\n");
  CHECK(z == strings{"c.ini:2: [pool.tts] local_share: 0 (the whole limit) with [cluster] "
                     "pool_limits = shares would let every node use the whole limit; give "
                     "each node its part"});
}
