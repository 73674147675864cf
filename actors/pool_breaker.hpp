// The pool's circuit breaker: closed -> open after `failure_threshold` consecutive
// failures; open fails fast for `open_timeout`; then half-open admits `half_open_probes`
// probe leases at a time; `success_threshold` probe successes close it, any failure in
// half-open reopens it. Neutral outcomes (429, unused leases, dead holders) only free the
// probe slot. Time comes from the caller (the pool actor's clock).
#pragma once

#include <cstdint>

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

#include "messages/pool.hpp"

namespace sb {

struct breaker_settings {
  uint32_t failure_threshold = 5;
  uint32_t success_threshold = 2;
  caf::timespan open_timeout{std::chrono::seconds{10}};
  uint32_t half_open_probes = 1;
};

class circuit_breaker {
public:
  using time_point = caf::actor_clock::time_point;

  explicit circuit_breaker(breaker_settings s);

  // Current state; moves open -> half-open once the open timeout has passed.
  breaker_state state(time_point now);

  // Whether a lease may be granted now (closed, or half-open with a free probe slot).
  bool may_grant(time_point now);

  // Records a grant. Returns the probe tag to keep with the lease (0 = not a probe).
  uint64_t on_grant(time_point now);

  // Records the outcome of a lease (probe = the tag from on_grant). on_failure returns
  // true when this failure opened the breaker.
  void on_success(uint64_t probe);
  bool on_failure(uint64_t probe, time_point now);
  void on_neutral(uint64_t probe);

  time_point open_until() const noexcept {
    return open_until_;
  }
  uint32_t consecutive_failures() const noexcept {
    return failures_;
  }
  uint32_t half_open_successes() const noexcept {
    return successes_;
  }
  uint64_t times_opened() const noexcept {
    return opened_;
  }

private:
  void open(time_point now);
  // True if `probe` is a probe of the current half-open period; frees its slot.
  bool end_probe(uint64_t probe);

  breaker_settings cfg_;
  breaker_state state_ = breaker_state::closed;
  uint32_t failures_ = 0;    // consecutive failures
  uint32_t successes_ = 0;   // probe successes in this half-open period
  uint32_t probes_out_ = 0;  // probe leases not yet returned in this half-open period
  uint64_t epoch_ = 0;       // counts half-open periods; probes carry it
  uint64_t opened_ = 0;
  time_point open_until_{};
};

} // namespace sb
