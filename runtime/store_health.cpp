#include "runtime/store_health.hpp"

namespace sb {

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

net::backend_health store_health(const store_health_inputs& in) {
  net::backend_health h{in.name, net::backend_state::ok, ""};
  auto waiting = std::to_string(in.waiting) + " waiting in memory";
  if (in.failing_since_ms > 0) {
    auto failing = in.now_ms - in.failing_since_ms;
    h.state = failing >= store_unreachable_after.count() && !in.shared
                ? net::backend_state::unreachable
                : net::backend_state::slow;
    h.reason = in.where + ": writes failing for " + std::to_string(failing / 1000) + " s (" +
               in.last_error + "), " + waiting;
  } else if (in.inflight_since_ms > 0 &&
             in.now_ms - in.inflight_since_ms >= store_slow_after.count()) {
    h.state = net::backend_state::slow;
    h.reason = in.where + ": a write has taken " +
               std::to_string(in.now_ms - in.inflight_since_ms) + " ms, " + waiting;
  }
  return h;
}

} // namespace sb
