#include "actors/pool_breaker.hpp"

#include <algorithm>

namespace sb {

circuit_breaker::circuit_breaker(breaker_settings s) : cfg_(s) {
  cfg_.failure_threshold = std::max(cfg_.failure_threshold, 1u);
  cfg_.success_threshold = std::max(cfg_.success_threshold, 1u);
  cfg_.half_open_probes = std::max(cfg_.half_open_probes, 1u);
}

breaker_state circuit_breaker::state(time_point now) {
  if (state_ == breaker_state::open && now >= open_until_) {
    state_ = breaker_state::half_open;
    ++epoch_;
    successes_ = 0;
    probes_out_ = 0;
  }
  return state_;
}

bool circuit_breaker::may_grant(time_point now) {
  switch (state(now)) {
    case breaker_state::closed: return true;
    case breaker_state::half_open: return probes_out_ < cfg_.half_open_probes;
    default: return false;
  }
}

uint64_t circuit_breaker::on_grant(time_point now) {
  if (state(now) != breaker_state::half_open)
    return 0;
  ++probes_out_;
  return epoch_;
}

bool circuit_breaker::end_probe(uint64_t probe) {
  if (probe == 0 || probe != epoch_ || state_ != breaker_state::half_open)
    return false;
  if (probes_out_ > 0)
    --probes_out_;
  return true;
}

void circuit_breaker::on_success(uint64_t probe) {
  auto is_probe = end_probe(probe);
  switch (state_) {
    case breaker_state::closed:
      failures_ = 0;
      break;
    case breaker_state::half_open:
      if (is_probe && ++successes_ >= cfg_.success_threshold) {
        state_ = breaker_state::closed;
        failures_ = 0;
        successes_ = 0;
      }
      break;
    default:
      break;  // open: a lease from before it opened; proves nothing
  }
}

bool circuit_breaker::on_failure(uint64_t probe, time_point now) {
  end_probe(probe);
  switch (state_) {
    case breaker_state::closed:
      if (++failures_ >= cfg_.failure_threshold) {
        open(now);
        return true;
      }
      return false;
    case breaker_state::half_open:
      ++failures_;
      open(now);
      return true;
    default:
      ++failures_;
      return false;
  }
}

void circuit_breaker::on_neutral(uint64_t probe) {
  end_probe(probe);
}

void circuit_breaker::open(time_point now) {
  state_ = breaker_state::open;
  open_until_ = now + cfg_.open_timeout;
  successes_ = 0;
  probes_out_ = 0;
  ++opened_;
}

} // namespace sb
