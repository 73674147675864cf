// Cross-node lease round trip: two actor systems (two "nodes") in one process, connected
// through CAF's middleman over loopback TCP, each with a pool front. A requester on the
// node that is NOT the pool's home measures acquire -> lease (one network round trip to the
// home's engine and back), then releases; the same loop on the home node gives the local
// baseline. Prints p50/p90/p99/max in microseconds. Results: docs/benchmarks.md.
//
//   bench_cluster_lease [ROUNDS]     (default 5000, after 500 warm-up rounds)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/pool_front.hpp"
#include "messages/pool_cluster.hpp"
#include "messages/register.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct node {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  sb::pool_front_actor front;
  static caf::actor_system_config& prepare(caf::actor_system_config& c) {
    c.set("scheduler.max-threads", size_t{2});
    sb::register_types(c);
    c.load<caf::io::middleman>();
    return c;
  }
  explicit node(const std::string& name) : sys(prepare(cfg)) {
    sb::pool_config pc;
    pc.name = "stt";
    pc.keys = {"k"};
    pc.max_active = 1000;
    // Lease renewal on, with the production defaults (cluster.lease_*).
    sb::pool_front_config fc{pc, 0, name, true};
    fc.lease_ttl = std::chrono::milliseconds{10000};
    fc.renew_interval = std::chrono::milliseconds{1000};
    fc.lease_margin = std::chrono::milliseconds{2000};
    front = sb::spawn_pool_front(sys, fc);
  }
};

void view(node& n, const std::string& self, std::vector<sb::pool_member> members) {
  caf::scoped_actor s{n.sys, true};
  s->send(n.front, sb::pool_view{self, std::move(members), false, {}});
}

// Acquire -> lease round trips (microseconds), releasing each lease right away.
std::vector<double> measure(node& n, int rounds) {
  caf::scoped_actor s{n.sys, true};
  sb::pool_actor pool = n.front;
  std::vector<double> out;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = clock_type::now();
    sb::pool_lease lease;
    bool ok = false;
    s->request(pool, std::chrono::seconds{5},
               sb::pool_acquire{static_cast<uint64_t>(i + 1), caf::timespan{0}, 0})
      .receive([&](sb::pool_lease& l) { lease = l; ok = true; },
               [&](caf::error& e) {
                 std::fprintf(stderr, "acquire failed: %s\n", n.sys.render(e).c_str());
               });
    auto t1 = clock_type::now();
    if (!ok)
      std::exit(1);
    s->send(pool, sb::pool_release{lease.id, -1, sb::lease_outcome::ok, -1, -1});
    out.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  return out;
}

void report(const char* what, std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto at = [&](double q) { return xs[static_cast<size_t>(q * double(xs.size() - 1))]; };
  std::printf("%-28s n=%zu p50=%.0f us p90=%.0f us p99=%.0f us max=%.0f us\n", what,
              xs.size(), at(0.5), at(0.9), at(0.99), xs.back());
}

} // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 5000;
  if (rounds < 1) {
    std::fprintf(stderr, "usage: bench_cluster_lease [ROUNDS >= 1]\n");
    return 2;
  }
  // The home of "stt" between the two names decides which node is which.
  std::string a_name = "bench-a", b_name = "bench-b";
  auto home_name = sb::pick_pool_home("stt", {a_name, b_name});
  auto client_name = home_name == a_name ? b_name : a_name;
  node home{home_name};
  node client{client_name};
  auto hp = home.sys.middleman().publish(home.front, 0, "127.0.0.1", true);
  auto cp = client.sys.middleman().publish(client.front, 0, "127.0.0.1", true);
  if (!hp || !cp) {
    std::fprintf(stderr, "publish failed\n");
    return 1;
  }
  // Typed: the middleman checks that the published actor has the front's interface.
  using front_t = sb::pool_front_actor;
  auto home_remote = client.sys.middleman().remote_actor<front_t>("127.0.0.1", *hp);
  auto client_remote = home.sys.middleman().remote_actor<front_t>("127.0.0.1", *cp);
  if (!home_remote || !client_remote) {
    std::fprintf(stderr, "connect failed\n");
    return 1;
  }
  view(home, home_name, {{home_name, home.front}, {client_name, *client_remote}});
  view(client, client_name, {{home_name, *home_remote}, {client_name, client.front}});
  // The client adopts to the home before its first acquire (the front queues meanwhile).
  measure(client, 500);
  measure(home, 500);
  report("remote home (loopback TCP)", measure(client, rounds));
  report("local home (same node)", measure(home, rounds));
  for (auto* n : {&home, &client}) {
    caf::scoped_actor s{n->sys, true};
    s->send_exit(n->front, caf::exit_reason::user_shutdown);
  }
  return 0;
}
