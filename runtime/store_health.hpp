// How the transcript store and the session backend look to GET /health, from what their
// actors last reported (never any I/O here: it runs on the I/O thread). A store whose
// writes fail, or whose write in flight has taken more than `slow_after`, is slow
// (degraded): calls go on and what they write waits in memory. A node's own store that
// has failed every write for `unreachable_after` is unreachable (error, 503: the load
// balancer sends calls to nodes whose stores work); a shared one stays degraded. See
// docs/storage.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "net/io/health.hpp"

namespace sb {

struct store_health_inputs {
  std::string name;          // "transcripts", "sessions"
  std::string where;         // the store, for the reason
  int64_t now_ms = 0;        // actor clock (steady)
  int64_t failing_since_ms = 0;
  int64_t inflight_since_ms = 0;
  uint64_t waiting = 0;      // what waits in memory for it
  std::string last_error;
  // Shared by the fleet (Redis, PostgreSQL): it failing fails every node at once, so it
  // makes them degraded, never error (503 on every node would leave the load balancer
  // nowhere to send calls, which work without it). A node's own SQLite file can be error.
  bool shared = false;
};

constexpr std::chrono::milliseconds store_slow_after{2000};
constexpr std::chrono::milliseconds store_unreachable_after{10000};

net::backend_health store_health(const store_health_inputs& in);

int64_t steady_now_ms();

} // namespace sb
