#include "net/io/health.hpp"

namespace sb::net {

const char* to_string(backend_state s) {
  switch (s) {
    case backend_state::ok: return "ok";
    case backend_state::slow: return "slow";
    case backend_state::unreachable: return "unreachable";
  }
  return "?";
}

health_report evaluate_health(const health_inputs& in) {
  // Reasons by severity: the first one explains the status.
  std::vector<std::string> draining, error, overload, degraded;
  auto of_calls = std::to_string(in.active_calls) + " of " + std::to_string(in.max_calls) +
                  " calls (node.max_calls)";
  if (in.draining)
    draining.push_back("draining: no new calls");
  if (in.active_calls >= in.max_calls)
    overload.push_back("at capacity: " + of_calls);
  else if (static_cast<double>(in.active_calls) >
           calls_degraded_share * static_cast<double>(in.max_calls))
    degraded.push_back("over 80 % of capacity: " + of_calls);
  degraded.insert(degraded.end(), in.degraded.begin(), in.degraded.end());
  for (auto& b : in.backends) {
    if (b.state == backend_state::ok)
      continue;
    auto what = b.name + " " + to_string(b.state) + (b.reason.empty() ? "" : ": " + b.reason);
    (b.state == backend_state::unreachable ? error : degraded).push_back(std::move(what));
  }
  health_report r;
  r.status = !draining.empty() ? "draining"
             : !error.empty()  ? "error"
             : !overload.empty() ? "overload"
             : !degraded.empty() ? "degraded"
                                 : "ok";
  r.http_status = (r.status == "ok" || r.status == "degraded") ? 200 : 503;
  for (auto* v : {&draining, &error, &overload, &degraded})
    r.reasons.insert(r.reasons.end(), v->begin(), v->end());
  if (r.reasons.empty())
    r.reasons.push_back("taking calls: " + of_calls);
  return r;
}

} // namespace sb::net
