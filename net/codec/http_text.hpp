// Small text helpers for HTTP header values (RFC 9110 "optional whitespace").
#pragma once

#include <string_view>

namespace sb::codec {

// `s` without leading and trailing spaces and tabs.
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace sb::codec
