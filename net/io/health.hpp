// What GET /health answers: the node's state, its HTTP status and every reason for it.
// Pure: the I/O thread gathers the inputs (net/io/http_routes.cpp).
//
//   ok        200  taking calls, nothing wrong
//   degraded  200  taking calls, some may degrade: over 80 % of node.max_calls, a pool's
//                  circuit breaker not closed, a pool over 90 % of its capacity, a
//                  configured backend (session store, cluster coordinator) slow
//   overload  503  at node.max_calls
//   draining  503  shutting down: no new calls
//   error     503  a configured backend unreachable
// When several hold, the first of draining, error, overload, degraded is the status;
// `reasons` lists them all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sb::net {

// A backend the node depends on, as its owner last saw it.
enum class backend_state : uint8_t { ok, slow, unreachable };
const char* to_string(backend_state s);

struct backend_health {
  std::string name;     // "sessions", "coordinator", ...
  backend_state state = backend_state::ok;
  std::string reason;   // why slow or unreachable ("redis://10.0.0.5:6379: timeout 2 s")
};

// Answers how a configured backend is doing. Called on the I/O thread for every
// GET /health: it must return at once (read a state its owner keeps up to date, never
// do I/O here).
using backend_check = std::function<backend_health()>;

struct health_inputs {
  bool draining = false;
  size_t active_calls = 0;
  uint32_t max_calls = 0;
  std::vector<std::string> degraded;      // pools: breakers not closed, pools over 90 %
  std::vector<backend_health> backends;
};

struct health_report {
  std::string status;      // ok | degraded | overload | draining | error
  unsigned http_status = 200;
  std::vector<std::string> reasons;  // never empty
};

// Over this share of node.max_calls the node says it is degraded.
constexpr double calls_degraded_share = 0.8;

health_report evaluate_health(const health_inputs& in);

} // namespace sb::net
