// A token bucket: `capacity` tokens, refilled continuously at `per_second`. Pure code with
// the clock passed in, so tests drive it with made-up times.
#pragma once

#include <chrono>

namespace sb::admission {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;

class token_bucket {
public:
  token_bucket() = default;
  // Starts full at `now`.
  token_bucket(double capacity, double per_second, time_point now)
    : capacity_(capacity), rate_(per_second), tokens_(capacity), last_(now) {}

  // Takes one token if there is one.
  bool take(time_point now);
  // Gives back a token taken earlier (the thing it paid for did not happen).
  void refund();
  // How long until one token is there (zero when there is one now).
  std::chrono::milliseconds wait(time_point now);
  // Full again: the bucket remembers nothing and may be forgotten.
  bool full(time_point now);
  double tokens(time_point now);

private:
  void refill(time_point now);
  double capacity_ = 0;
  double rate_ = 0;
  double tokens_ = 0;
  time_point last_{};
};

} // namespace sb::admission
