// Human-readable rendering of the node's JSON replies, and the help text.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sb::console_tool {

// The reply of one command as text tables (falls back to pretty JSON).
std::string render(const nlohmann::json& reply);

// The command list (`help`).
std::string help_text();
nlohmann::json help_json();

} // namespace sb::console_tool
