// Logging set-up from [log]: level, and text or JSON lines (one object per line).
#pragma once

#include "messages/config.hpp"

namespace sb {

void setup_logging(const log_section& cfg);

} // namespace sb
