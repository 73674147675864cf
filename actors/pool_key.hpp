// One API key of a pool: its lease limit, its rate buckets (requests and tokens per
// minute) and its 429 back-off. A 429 blocks the key until retry-after has passed and drops
// its effective limit to the leases it still holds (at least 1); after each cool-down the
// limit grows by `step` until it is back at max_active. Time comes from the caller.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

#include "actors/pool_buckets.hpp"
#include "messages/pool.hpp"

namespace sb {

struct backoff_settings {
  caf::timespan default_retry_after{std::chrono::seconds{1}};
  caf::timespan cooldown{std::chrono::seconds{5}};
  uint32_t step = 1;
};

class pool_key {
public:
  using time_point = caf::actor_clock::time_point;

  pool_key(std::string label, uint32_t max_active, uint32_t rpm, uint32_t tpm,
           backoff_settings backoff, time_point now,
           caf::timespan reuse_delay = caf::timespan{0});

  const std::string& label() const noexcept {
    return label_;
  }
  uint32_t active() const noexcept {
    return active_;
  }

  // Whether a lease expecting `est_tokens` may be granted on this key now.
  bool can_grant(uint32_t est_tokens, time_point now);

  // Earliest time at which can_grant may turn true without any lease coming back;
  // nullopt when only a release can help.
  std::optional<time_point> ready_at(uint32_t est_tokens, time_point now);

  // A lease was granted: takes a request token and reserves the estimated tokens.
  void on_grant(uint32_t est_tokens, time_point now);

  // A lease came back: settles the token bucket with the reported usage (used < 0: the
  // estimate stands). A slot whose stream was used is granted again only after the
  // reuse delay; `stream_used` false (cancelled before its stream opened) frees it at once.
  void on_return(uint32_t est_tokens, int64_t used_tokens, time_point now,
                 bool stream_used = true);

  // A 429: retry_after_ms < 0 means unknown (the default applies).
  void on_rate_limited(int64_t retry_after_ms, time_point now);

  pool_key_stats stats(time_point now);

private:
  // Applies the recovery steps that are due, and frees the slots whose reuse delay is over.
  void recover(time_point now);
  // Slots taken: leases held plus returned slots still cooling.
  uint32_t taken() const noexcept {
    return active_ + static_cast<uint32_t>(cooling_.size());
  }
  // LLM tokens a grant needs in the bucket: the estimate (at least 1, at most the bucket).
  uint64_t tokens_needed(uint32_t est_tokens) const;

  std::string label_;
  uint32_t max_active_;
  uint32_t limit_;  // effective limit
  uint32_t active_ = 0;
  caf::timespan reuse_delay_{0};
  std::deque<time_point> cooling_;  // when each returned slot may be granted again
  token_bucket rpm_;
  token_bucket tpm_;
  backoff_settings backoff_;
  time_point blocked_until_{};
  std::optional<time_point> next_step_;  // set while limit_ < max_active_
  uint64_t acquired_ = 0;
  uint64_t rate_limited_ = 0;
};

} // namespace sb
