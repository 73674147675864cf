// Fault injection state: one mode per provider family, set by flags or POST /sim/faults.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sb::sim {

enum class fault_mode : uint8_t {
  none,
  http500, // answer 500 in the provider's error format
  http429, // answer 429 in the provider's error format (not counted as a limit refusal)
  close,   // accept, then drop the connection (WS 1011 / HTTP cut mid-body)
  hang,    // accept, never answer
};

enum class fault_target : uint8_t { stt = 0, llm = 1, tts = 2 };

std::optional<fault_mode> parse_fault_mode(std::string_view text);
const char* to_string(fault_mode m);

class fault_table {
 public:
  fault_mode get(fault_target t) const { return modes_[static_cast<size_t>(t)]; }
  void set(fault_target t, fault_mode m) { modes_[static_cast<size_t>(t)] = m; }

  // Applies {"stt":"http500","llm":"none","tts":"hang","all":..}; keys absent stay as
  // they are. Returns an error text (and changes nothing) on a bad patch.
  std::string apply(const nlohmann::json& patch);

  nlohmann::ordered_json to_json() const; // {"stt":..,"llm":..,"tts":..}

 private:
  std::array<fault_mode, 3> modes_{};
};

} // namespace sb::sim
