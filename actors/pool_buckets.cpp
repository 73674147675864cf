#include "actors/pool_buckets.hpp"

#include <algorithm>

namespace sb {

namespace {

// Units of one token: refilling `per_minute` tokens per minute adds `per_minute` units per
// nanosecond.
constexpr int64_t unit = 60'000'000'000;  // ns per minute

} // namespace

token_bucket::token_bucket(uint64_t per_minute, time_point now)
  : per_minute_(per_minute), tokens_(static_cast<int64_t>(per_minute)), last_(now) {
  // nop
}

void token_bucket::refill(time_point now) {
  if (unlimited() || now <= last_)
    return;
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_).count();
  last_ = now;
  auto cap = static_cast<int64_t>(per_minute_);
  if (tokens_ >= cap)
    return;
  auto total = static_cast<__int128>(frac_) + static_cast<__int128>(elapsed) * per_minute_;
  auto whole = total / unit;
  if (whole >= static_cast<__int128>(cap - tokens_)) {
    tokens_ = cap;
    frac_ = 0;
    return;
  }
  tokens_ += static_cast<int64_t>(whole);
  frac_ = static_cast<int64_t>(total % unit);
}

int64_t token_bucket::available(time_point now) {
  refill(now);
  return tokens_;
}

void token_bucket::take(uint64_t n, time_point now) {
  if (unlimited())
    return;
  refill(now);
  tokens_ -= static_cast<int64_t>(n);
}

void token_bucket::give(uint64_t n, time_point now) {
  if (unlimited())
    return;
  refill(now);
  auto cap = static_cast<int64_t>(per_minute_);
  tokens_ = std::min(cap, tokens_ + static_cast<int64_t>(std::min<uint64_t>(n, per_minute_)));
  if (tokens_ == cap)
    frac_ = 0;
}

token_bucket::time_point token_bucket::ready_at(uint64_t n, time_point now) {
  if (unlimited())
    return now;
  refill(now);
  auto need = static_cast<int64_t>(std::min<uint64_t>(n, per_minute_));
  if (tokens_ >= need)
    return now;
  auto missing = static_cast<__int128>(need - tokens_) * unit - frac_;
  auto ns = (missing + per_minute_ - 1) / per_minute_;  // ceil
  return now + std::chrono::nanoseconds{static_cast<int64_t>(ns)};
}

} // namespace sb
