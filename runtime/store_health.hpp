// How the transcript store and the session backend look to GET /health, from what their
// actors last reported (never any I/O here: it runs on the I/O thread). A store whose
// writes fail, or whose write in flight has taken more than `slow_after`, is slow
// (degraded): calls go on and what they write waits in memory. One that has failed every
// write for `unreachable_after` is unreachable (error, 503: the load balancer should send
// calls elsewhere while it is gone). See docs/storage.md.
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
};

constexpr std::chrono::milliseconds store_slow_after{2000};
constexpr std::chrono::milliseconds store_unreachable_after{10000};

net::backend_health store_health(const store_health_inputs& in);

int64_t steady_now_ms();

} // namespace sb
