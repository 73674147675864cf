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

// switchboard_provider_failures_total{kind=KIND,provider=PROVIDER} from /metrics; 0 when
// the node has counted none.
inline long provider_failures(uint16_t node_port, const std::string& provider,
                              const std::string& kind) {
  auto text = http_request(node_port, "GET", "/metrics").body;
  auto key = "switchboard_provider_failures_total{kind=\"" + kind + "\",provider=\"" +
             provider + "\"} ";
  auto at = text.find(key);
  return at == std::string::npos ? 0 : std::stol(text.substr(at + key.size()));
}

} // namespace sb::test
