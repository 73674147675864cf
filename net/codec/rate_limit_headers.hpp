// Reading the rate-limit hints providers put in HTTP headers (protocols.md section 6).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sb::codec {

// How long the provider asks us to wait, in ms, or -1 when it did not say (both empty)
// or said something unusable. `retry_after_ms` (OpenAI's "retry-after-ms": milliseconds,
// may be fractional) wins when valid; else `retry_after` in seconds ("2", "41.7").
// Fractions round up to the next millisecond. An HTTP-date retry-after ("Wed, 21 Oct 2015
// 07:28:00 GMT") is reported as -1: turning it into a delay needs the current time, which
// this pure function does not take. Leading/trailing spaces are ignored; negative values,
// signs, exponents and values above ~31 years are invalid.
int64_t parse_retry_after_ms(std::string_view retry_after, std::string_view retry_after_ms);

// A Go time.Duration string as in x-ratelimit-reset-* headers ("12ms", "1s", "6m0s",
// "1h2m3.5s", "250us", "0"), rounded up to whole milliseconds. nullopt when malformed,
// negative or larger than ~292 years.
std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text);

} // namespace sb::codec
