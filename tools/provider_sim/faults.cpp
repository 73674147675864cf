#include "tools/provider_sim/faults.hpp"

#include <nlohmann/json.hpp>

namespace sb::sim {

namespace {

constexpr std::array<const char*, 3> target_names{"stt", "llm", "tts"};

} // namespace

std::optional<fault_mode> parse_fault_mode(std::string_view text) {
  if (text == "none") return fault_mode::none;
  if (text == "http500") return fault_mode::http500;
  if (text == "http429") return fault_mode::http429;
  if (text == "close") return fault_mode::close;
  if (text == "hang") return fault_mode::hang;
  return std::nullopt;
}

const char* to_string(fault_mode m) {
  switch (m) {
  case fault_mode::none:
    return "none";
  case fault_mode::http500:
    return "http500";
  case fault_mode::http429:
    return "http429";
  case fault_mode::close:
    return "close";
  case fault_mode::hang:
    return "hang";
  }
  return "none";
}

std::string fault_table::apply(const nlohmann::json& patch) {
  if (!patch.is_object()) return "body must be a JSON object";
  auto next = modes_;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (!it.value().is_string()) return "value of '" + it.key() + "' must be a string";
    auto mode = parse_fault_mode(it.value().get<std::string>());
    if (!mode) return "bad mode for '" + it.key() + "' (none|http500|http429|close|hang)";
    if (it.key() == "all") {
      next.fill(*mode);
      continue;
    }
    size_t i = 0;
    while (i < target_names.size() && it.key() != target_names[i])
      ++i;
    if (i == target_names.size())
      return "unknown fault target '" + it.key() + "' (stt|llm|tts|all)";
    next[i] = *mode;
  }
  modes_ = next;
  return {};
}

nlohmann::ordered_json fault_table::to_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t i = 0; i < target_names.size(); ++i)
    j[target_names[i]] = to_string(modes_[i]);
  return j;
}

} // namespace sb::sim
