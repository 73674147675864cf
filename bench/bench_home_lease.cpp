// What the coordinator costs: the round trip of one home lease claim (a renewal, the
// call the coordinator actor makes per pool every lease_renew_interval) against a Redis
// server, through net/redis (hiredis, one EVAL of the claim script). Acquires, releases
// and lease renewals between nodes never touch Redis; this is the only Redis traffic.
// Prints p50/p90/p99/max in microseconds. Results: docs/benchmarks.md.
//
//   bench_home_lease PORT [ROUNDS]   (a redis-server on 127.0.0.1:PORT; default 5000
//                                     rounds after 200 warm-up rounds)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "net/redis/redis_home_store.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_home_lease PORT [ROUNDS]\n");
    return 2;
  }
  auto port = static_cast<uint16_t>(std::atoi(argv[1]));
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5000;
  sb::redis_home_store store("127.0.0.1", port, std::chrono::milliseconds{500});
  using clock_type = std::chrono::steady_clock;
  std::vector<double> us;
  for (int i = 0; i < 200 + rounds; ++i) {
    auto t0 = clock_type::now();
    auto c = store.claim("bench", "bench-node/1", std::chrono::milliseconds{10000});
    auto t1 = clock_type::now();
    if (c.result != sb::home_claim::outcome::held) {
      std::fprintf(stderr, "claim failed: %s%s\n", c.reason.c_str(), c.holder.c_str());
      return 1;
    }
    if (i >= 200)
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  store.release("bench", "bench-node/1");
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[static_cast<size_t>(q * double(us.size() - 1))]; };
  std::printf("home lease claim (renewal), %d rounds: p50 %.0f us, p90 %.0f us, p99 %.0f "
              "us, max %.0f us\n",
              rounds, at(0.5), at(0.9), at(0.99), us.back());
  return 0;
}
