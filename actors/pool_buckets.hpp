// Per-minute token bucket for the pool's rate limits (requests_per_minute,
// tokens_per_minute). Exact integer arithmetic on the actor clock's time points, so virtual
// time in tests gives exact refill instants. Not thread-safe: owned by one pool actor.
#pragma once

#include <cstdint>

#include <caf/actor_clock.hpp>

namespace sb {

class token_bucket {
public:
  using time_point = caf::actor_clock::time_point;

  // Unlimited bucket: every take succeeds.
  token_bucket() = default;

  // Holds at most `per_minute` tokens, starts full and refills `per_minute` tokens per
  // minute, continuously. per_minute == 0 means unlimited.
  token_bucket(uint64_t per_minute, time_point now);

  bool unlimited() const noexcept {
    return per_minute_ == 0;
  }

  uint64_t capacity() const noexcept {
    return per_minute_;
  }

  // Whole tokens available at `now` (negative while in debt).
  int64_t available(time_point now);

  // Removes n tokens; may leave the bucket in debt.
  void take(uint64_t n, time_point now);

  // Returns n tokens (never above capacity).
  void give(uint64_t n, time_point now);

  // Earliest time at which `n` tokens are available (n is capped at the capacity).
  time_point ready_at(uint64_t n, time_point now);

private:
  void refill(time_point now);

  uint64_t per_minute_ = 0;
  int64_t tokens_ = 0;
  // Fraction of the next token, in units of 1/60e9 token (token-nanoseconds per minute).
  int64_t frac_ = 0;
  time_point last_{};
};

} // namespace sb
