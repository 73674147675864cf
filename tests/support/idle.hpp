// What a process test checks once its calls are over: nothing left held on the node or
// the simulator, and the failures the node counted.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"

namespace sb::test {

// Every pool back to 0 active and 0 queued (the board is refreshed every 500 ms).
inline bool pools_idle(uint16_t node_port) {
  auto p = get_json(node_port, "/api/v1/stats/pool")["pools"];
  if (!p.is_object() || p.size() != 3)
    return false;
  for (auto& [name, s] : p.items())
    if (s.value("active", 1) != 0 || s.value("queued", 1) != 0)
      return false;
  return true;
}

// The simulator holds no provider stream open (of any provider it serves).
inline bool sim_idle(uint16_t sim_port) {
  auto s = get_json(sim_port, "/sim/stats");
  for (auto& [provider, keys] : s.items()) {
    if (provider == "faults" || provider == "http" || !keys.is_object())
      continue;
    for (auto& [key, c] : keys.items())
      if (c.is_object() && c.value("current", 0) != 0)
        return false;
  }
  return true;
}

// The value of one sample (name and labels as the node writes them) in the node's
// /metrics text, or -1 when it has none.
inline double metric(uint16_t node_port, const std::string& sample) {
  auto text = http_request(node_port, "GET", "/metrics").body;
  auto at = text.find("\n" + sample + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + sample.size() + 2));
}

// switchboard_provider_failures_total{kind=KIND,provider=PROVIDER}; 0 when the node has
// counted none.
inline long provider_failures(uint16_t node_port, const std::string& provider,
                              const std::string& kind) {
  auto v = metric(node_port, "switchboard_provider_failures_total{kind=\"" + kind +
                               "\",provider=\"" + provider + "\"}");
  return v < 0 ? 0 : static_cast<long>(v);
}

} // namespace sb::test
