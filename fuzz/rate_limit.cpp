// Rate-limit headers (rate_limit_headers): retry-after, retry-after-ms and the Go
// durations of x-ratelimit-reset-*. The input is "RETRY_AFTER\nRETRY_AFTER_MS\nDURATION".
// - A delay is -1 (not said / unusable) or between 0 and ~31 years; a duration is
//   non-negative and at most ~292 years.
// - Round trips: "N" seconds and "Nms" milliseconds read as N*1000 and N; a duration
//   written the way Go prints it ("1h2m3.5s", "250ms") reads back to itself (exactly, up
//   to ~11 days).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/check.hpp"
#include "net/codec/rate_limit_headers.hpp"

using namespace sb::codec;
using sb::fuzz::check;

namespace {

std::string_view next_line(std::string_view& in) {
  auto nl = in.find('\n');
  auto line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  return line;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto ra = next_line(in);
  auto ra_ms = next_line(in);
  auto dur = next_line(in);

  int64_t ms = parse_retry_after_ms(ra, ra_ms);
  check(ms >= -1 && ms <= 1000000000000LL, "retry-after out of range");
  if (auto d = parse_go_duration(dur))
    check(d->count() >= 0 && d->count() <= 9300000000000LL, "duration out of range");

  // Numbers made from the input's bytes.
  uint64_t n = 0;
  for (size_t i = 0; i < size && i < 8; ++i)
    n = n << 8 | data[i];
  uint64_t secs = n % 1000000000;  // below the ~31 years limit
  check(parse_retry_after_ms(std::to_string(secs), "") == int64_t(secs) * 1000,
        "whole seconds misread");
  check(parse_retry_after_ms("", std::to_string(n % 1000000000000ULL)) ==
          int64_t(n % 1000000000000ULL),
        "whole milliseconds misread");
  check(parse_retry_after_ms(" " + std::to_string(secs) + "\t", "x") == int64_t(secs) * 1000,
        "retry-after with spaces, after a bad retry-after-ms");

  // Up to ~11 days: beyond 2^53 ns a double no longer holds every nanosecond, and a
  // duration of years may come out a millisecond long (immaterial for a reset time).
  uint64_t total_ms = n % 1000000000ULL;
  uint64_t h = total_ms / 3600000, m = total_ms / 60000 % 60, s = total_ms / 1000 % 60,
           frac = total_ms % 1000;
  std::string go;
  if (h)
    go += std::to_string(h) + "h";
  if (h || m)
    go += std::to_string(m) + "m";
  if (go.empty() && s == 0 && frac != 0) {
    go = std::to_string(frac) + "ms";
  } else {
    char f[8];
    std::snprintf(f, sizeof f, ".%03u", unsigned(frac));
    go += std::to_string(s) + (frac ? f : "") + "s";
  }
  auto back = parse_go_duration(go);
  check(back && uint64_t(back->count()) == total_ms, "a Go duration misread");
  return 0;
}
