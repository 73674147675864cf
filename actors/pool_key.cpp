#include "actors/pool_key.hpp"

#include <algorithm>

namespace sb {

pool_key::pool_key(std::string label, uint32_t max_active, uint32_t rpm, uint32_t tpm,
                   backoff_settings backoff, time_point now, caf::timespan reuse_delay)
  : label_(std::move(label)),
    max_active_(max_active),
    limit_(max_active),
    reuse_delay_(reuse_delay),
    rpm_(rpm, now),
    tpm_(tpm, now),
    backoff_(backoff) {
  backoff_.step = std::max(backoff_.step, 1u);
  // A zero cool-down would make recover() spin; validate() rejects it anyway.
  backoff_.cooldown = std::max(backoff_.cooldown, caf::timespan{std::chrono::milliseconds{1}});
}

void pool_key::recover(time_point now) {
  while (!cooling_.empty() && now >= cooling_.front())
    cooling_.pop_front();
  while (next_step_ && now >= *next_step_) {
    limit_ = std::min(max_active_, limit_ + backoff_.step);
    if (limit_ >= max_active_)
      next_step_.reset();
    else
      *next_step_ += backoff_.cooldown;
  }
}

uint64_t pool_key::tokens_needed(uint32_t est_tokens) const {
  return std::clamp<uint64_t>(est_tokens, 1, std::max<uint64_t>(tpm_.capacity(), 1));
}

bool pool_key::can_grant(uint32_t est_tokens, time_point now) {
  recover(now);
  return now >= blocked_until_ && taken() < limit_
         && (rpm_.unlimited() || rpm_.available(now) >= 1)
         && (tpm_.unlimited()
             || tpm_.available(now) >= static_cast<int64_t>(tokens_needed(est_tokens)));
}

std::optional<pool_key::time_point> pool_key::ready_at(uint32_t est_tokens, time_point now) {
  recover(now);
  auto t = std::max(now, blocked_until_);
  if (taken() >= limit_) {
    // Cooling slots free themselves; held ones only by a release (or a recovery step).
    size_t over = taken() - limit_;  // cooling slots that must expire first
    if (active_ < limit_ && over < cooling_.size())
      t = std::max(t, cooling_[over]);
    else if (next_step_)
      t = std::max(t, *next_step_);
    else
      return std::nullopt;
  }
  t = std::max(t, rpm_.ready_at(1, now));
  t = std::max(t, tpm_.ready_at(tokens_needed(est_tokens), now));
  return t;
}

void pool_key::on_grant(uint32_t est_tokens, time_point now) {
  ++active_;
  ++acquired_;
  rpm_.take(1, now);
  tpm_.take(est_tokens, now);
}

void pool_key::on_return(uint32_t est_tokens, int64_t used_tokens, time_point now,
                         bool stream_used) {
  if (active_ > 0) {
    --active_;
    if (stream_used && reuse_delay_ > caf::timespan{0})
      cooling_.push_back(now + reuse_delay_);
  }
  if (used_tokens < 0)
    return;
  auto used = static_cast<uint64_t>(used_tokens);
  if (used > est_tokens)
    tpm_.take(used - est_tokens, now);
  else
    tpm_.give(est_tokens - used, now);
}

void pool_key::on_rate_limited(int64_t retry_after_ms, time_point now) {
  ++rate_limited_;
  recover(now);
  caf::timespan wait = retry_after_ms >= 0
                         ? caf::timespan{std::chrono::milliseconds{retry_after_ms}}
                         : backoff_.default_retry_after;
  blocked_until_ = std::max(blocked_until_, now + wait);
  limit_ = std::max(1u, std::min(limit_, taken()));
  if (limit_ < max_active_)
    next_step_ = blocked_until_ + backoff_.cooldown;
  else
    next_step_.reset();
}

pool_key_stats pool_key::stats(time_point now) {
  recover(now);
  pool_key_stats s;
  s.label = label_;
  s.max_active = max_active_;
  s.effective_limit = limit_;
  s.active = active_;
  s.cooling = static_cast<uint32_t>(cooling_.size());
  if (blocked_until_ > now)
    s.blocked_ms = std::chrono::ceil<std::chrono::milliseconds>(blocked_until_ - now).count();
  s.acquired = acquired_;
  s.rate_limited = rate_limited_;
  s.requests_per_minute = static_cast<uint32_t>(rpm_.capacity());
  s.tokens_per_minute = static_cast<uint32_t>(tpm_.capacity());
  s.rpm_available = rpm_.unlimited() ? 0 : rpm_.available(now);
  s.tpm_available = tpm_.unlimited() ? 0 : tpm_.available(now);
  return s;
}

} // namespace sb
