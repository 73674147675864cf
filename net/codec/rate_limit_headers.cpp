#include "net/codec/rate_limit_headers.hpp"
#include "net/codec/http_text.hpp"

#include <cmath>

namespace sb::codec {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads "DIGITS[.DIGITS]" / ".DIGITS" / "DIGITS." at the start of `s` (locale-free).
// Advances `s` past it; nullopt when there is no digit at all.
std::optional<double> read_decimal(std::string_view& s) {
  double value = 0;
  size_t i = 0;
  bool any = false;
  for (; i < s.size() && is_digit(s[i]); ++i, any = true)
    value = value * 10 + (s[i] - '0');
  if (i < s.size() && s[i] == '.') {
    ++i;
    double scale = 0.1;
    for (; i < s.size() && is_digit(s[i]); ++i, any = true, scale /= 10)
      value += (s[i] - '0') * scale;
  }
  if (!any)
    return std::nullopt;
  s.remove_prefix(i);
  return value;
}

// A whole decimal number (nothing after it) scaled to ms, or -1.
int64_t to_ms(std::string_view text, double ms_per_unit) {
  std::string_view s = trim_ows(text);
  auto v = read_decimal(s);
  if (!v || !s.empty())
    return -1;
  double ms = *v * ms_per_unit;
  if (!std::isfinite(ms) || ms > 1e12)  // ~31 years: nonsense, not a delay
    return -1;
  // Round to whole microseconds first so "41.7" s is 41700 ms, not 41701 through binary
  // rounding; then up to whole ms.
  int64_t us = std::llround(ms * 1000);
  return (us + 999) / 1000;
}

} // namespace

int64_t parse_retry_after_ms(std::string_view retry_after,
                             std::string_view retry_after_ms) {
  if (int64_t ms = to_ms(retry_after_ms, 1.0); ms >= 0)
    return ms;
  return to_ms(retry_after, 1000.0);
}

std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text) {
  std::string_view s = trim_ows(text);
  if (!s.empty() && s.front() == '+')
    s.remove_prefix(1);
  if (s == "0")
    return std::chrono::milliseconds{0};
  if (s.empty())
    return std::nullopt;
  double total_ns = 0;
  while (!s.empty()) {
    auto v = read_decimal(s);
    if (!v)
      return std::nullopt;
    size_t n = 0;
    while (n < s.size() && !is_digit(s[n]) && s[n] != '.')
      ++n;
    std::string_view unit = s.substr(0, n);
    s.remove_prefix(n);
    double ns_per_unit = 0;
    if (unit == "ns")
      ns_per_unit = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")  // us, µs, μs
      ns_per_unit = 1e3;
    else if (unit == "ms")
      ns_per_unit = 1e6;
    else if (unit == "s")
      ns_per_unit = 1e9;
    else if (unit == "m")
      ns_per_unit = 60e9;
    else if (unit == "h")
      ns_per_unit = 3600e9;
    else
      return std::nullopt;  // missing or unknown unit
    total_ns += *v * ns_per_unit;
    if (total_ns > 9.2e18)  // Go's Duration limit (int64 ns)
      return std::nullopt;
  }
  // Round to whole ns first (so "1.001s" stays 1001 ms despite binary rounding), then
  // up to whole ms.
  int64_t ns = std::llround(total_ns);
  return std::chrono::milliseconds{ns / 1000000 + (ns % 1000000 != 0 ? 1 : 0)};
}

} // namespace sb::codec
