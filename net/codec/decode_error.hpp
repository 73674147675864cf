// The one error value every decoder in net/codec returns for input it cannot accept.
#pragma once

#include <string>

namespace sb::codec {

// Human-readable and meant for logs: says what was wrong and where, e.g.
// "invalid JSON at byte 12", "unknown event 'foo'", "missing field 'media.payload'".
struct decode_error {
  std::string reason;
};

} // namespace sb::codec
