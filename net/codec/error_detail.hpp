// One format for provider error details in logs and provider_failure::detail:
// "STATUS CODE: MESSAGE", e.g. "429 rate_limit_exceeded: Rate limit reached ...".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sb::codec {

// Longest detail we build; provider bodies can be large and end up in logs.
inline constexpr size_t max_detail_chars = 300;

// Control characters become spaces, runs of whitespace collapse, and the text is cut
// to `max` bytes (on a UTF-8 character boundary, with "..." appended when cut).
std::string clean_text(std::string_view text, size_t max = max_detail_chars);

// Text from the peer as a decode_error quotes it: 'TEXT', cleaned and cut to 64 bytes,
// so a reason stays one short line in the log and fits a close frame.
inline std::string quote_text(std::string_view text) {
  return "'" + clean_text(text, 64) + "'";
}

// "STATUS CODE: MESSAGE"; parts left empty are omitted ("STATUS: MESSAGE",
// "STATUS CODE", "STATUS"). A status <= 0 is omitted too. Code and message are cleaned.
std::string format_detail(int status, std::string_view code, std::string_view message);

} // namespace sb::codec
