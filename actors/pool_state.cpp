#include "actors/pool_state.hpp"

#include <algorithm>

namespace sb {

namespace {

using std::chrono::milliseconds;

const std::vector<int64_t> wait_bounds_ms{0, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
                                          30000};

int64_t to_ms(caf::timespan x) {
  return std::chrono::duration_cast<milliseconds>(x).count();
}

} // namespace

void pool_state::init(pool_config config, time_point now) {
  cfg = std::move(config);
  if (cfg.keys.empty())
    cfg.keys.emplace_back("default");
  breaker = circuit_breaker{breaker_settings{cfg.failure_threshold, cfg.success_threshold,
                                             cfg.open_timeout, cfg.half_open_probes}};
  backoff_settings backoff{cfg.default_retry_after, cfg.backoff_cooldown, cfg.backoff_step};
  keys.clear();
  for (auto& label : cfg.keys)
    keys.emplace_back(label, cfg.max_active, cfg.requests_per_minute, cfg.tokens_per_minute,
                      backoff, now, cfg.reuse_delay);
  totals = pool_stats{};
  totals.wait_bounds_ms = wait_bounds_ms;
  totals.wait_counts.assign(wait_bounds_ms.size() + 1, 0);
}

caf::timespan pool_state::max_wait(caf::timespan requested) const {
  caf::timespan cap = cfg.queue_timeout;
  if (requested <= caf::timespan{0})
    return cap;
  return std::min(requested, cap);
}

std::optional<uint32_t> pool_state::pick_key(uint32_t est_tokens, time_point now) {
  std::optional<uint32_t> best;
  for (uint32_t i = 0; i < keys.size(); ++i)
    if (keys[i].can_grant(est_tokens, now)
        && (!best || keys[i].active() < keys[*best].active()))
      best = i;
  return best;
}

void pool_state::record_wait(caf::timespan waited) {
  auto& b = totals.wait_bounds_ms;
  size_t i = 0;
  while (i < b.size() && waited > caf::timespan{milliseconds{b[i]}})
    ++i;
  ++totals.wait_counts[i];
  totals.wait_total_us += static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::microseconds>(waited).count());
}

pool_stats pool_state::stats(time_point now) {
  pool_stats s = totals;
  s.name = cfg.name;
  s.kind = cfg.kind;
  s.queued = static_cast<uint32_t>(queue.size());
  s.max_queue = cfg.max_queue;
  for (auto& k : keys) {
    s.keys.push_back(k.stats(now));
    s.active += s.keys.back().active;
    s.capacity += s.keys.back().max_active;
    s.effective_capacity += s.keys.back().effective_limit;
  }
  s.utilization = s.capacity == 0 ? 0.0 : double(s.active) / double(s.capacity);
  s.breaker = breaker.state(now);
  s.consecutive_failures = breaker.consecutive_failures();
  s.half_open_successes = breaker.half_open_successes();
  s.breaker_opened = breaker.times_opened();
  if (s.breaker == breaker_state::open)
    s.breaker_open_ms = std::max<int64_t>(0, to_ms(breaker.open_until() - now));
  for (auto& [id, l] : leases)
    s.holders.push_back(pool_holder{id, to_string(l.holder), l.ticket, l.key,
                                    to_ms(now - l.granted_at)});
  for (auto& [seq, w] : queue)
    s.waiters.push_back(pool_waiter{w.ticket, to_string(w.requester),
                                    to_ms(now - w.enqueued_at), to_ms(w.deadline - now)});
  return s;
}

} // namespace sb
