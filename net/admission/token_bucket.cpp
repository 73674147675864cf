#include "net/admission/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace sb::admission {

namespace {
// Refills are sums of small fractions: a token that is "exactly" there may be 0.9999999.
constexpr double epsilon = 1e-9;
} // namespace

void token_bucket::refill(time_point now) {
  if (now <= last_)
    return;
  auto dt = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(capacity_, tokens_ + dt * rate_);
  last_ = now;
}

bool token_bucket::take(time_point now) {
  refill(now);
  if (tokens_ < 1.0 - epsilon)
    return false;
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

void token_bucket::refund() { tokens_ = std::min(capacity_, tokens_ + 1.0); }

std::chrono::milliseconds token_bucket::wait(time_point now) {
  refill(now);
  if (tokens_ >= 1.0 - epsilon || rate_ <= 0)
    return std::chrono::milliseconds{0};
  auto ms = std::ceil((1.0 - tokens_) / rate_ * 1000.0 - 1e-6);
  return std::chrono::milliseconds{static_cast<long long>(ms)};
}

bool token_bucket::full(time_point now) {
  refill(now);
  return tokens_ >= capacity_ - epsilon;
}

double token_bucket::tokens(time_point now) {
  refill(now);
  return tokens_;
}

} // namespace sb::admission
