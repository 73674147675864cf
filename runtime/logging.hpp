// Logging set-up from [log]: level, and text or JSON lines (one object per line). JSON
// lines carry the node's name; lines about a call carry its call_id and stream_sid
// (messages/log_fields.hpp), as members in JSON and as a "[CA.. MZ..]" prefix in text.
#pragma once

#include <string>

#include "messages/config.hpp"

namespace sb {

void setup_logging(const log_section& cfg, const std::string& node_name);

} // namespace sb
