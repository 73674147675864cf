// The pools' metrics (runtime/metrics.hpp), fed from the stats the pool poller reads
// every 500 ms: gauges are set, counters and the wait histogram grow by what the pool's
// totals grew since the last poll.
#include "runtime/metrics.hpp"

namespace sb {

void node_metrics::build_pool_families() {
  using namespace prometheus;
  auto& reg = *registry_;
  auto gauge = [&](const char* name, const char* help) {
    return &BuildGauge().Name(name).Help(help).Register(reg);
  };
  auto counter = [&](const char* name, const char* help) {
    return &BuildCounter().Name(name).Help(help).Register(reg);
  };
  pf_.active = gauge("switchboard_pool_active", "Leases held, by pool.");
  pf_.queued = gauge("switchboard_pool_queued", "Requests waiting for a lease, by pool.");
  pf_.capacity = gauge("switchboard_pool_capacity",
                       "Configured leases (max_active summed over keys), by pool.");
  pf_.effective_capacity = gauge("switchboard_pool_effective_capacity",
                                 "Leases grantable now (after 429 back-off and rate "
                                 "limits), by pool.");
  pf_.queue_capacity = gauge("switchboard_pool_queue_capacity",
                             "Longest queue the pool keeps (max_queue), by pool.");
  pf_.utilization = gauge("switchboard_pool_utilization_ratio",
                          "Leases held over capacity (0 to 1), by pool.");
  pf_.breaker = gauge("switchboard_breaker_state",
                      "Circuit breaker of a pool: 0 closed, 1 open, 2 half-open.");
  pf_.wait = &BuildHistogram()
                .Name("switchboard_pool_wait_seconds")
                .Help("Time granted requests waited for their lease, by pool.")
                .Register(reg);
  pf_.acquired = counter("switchboard_pool_acquired_total", "Leases granted, by pool.");
  pf_.released = counter("switchboard_pool_released_total",
                         "Leases given back by their holder, by pool.");
  pf_.reclaimed = counter("switchboard_pool_reclaimed_total",
                          "Leases taken back because the holder died or did not renew, "
                          "by pool.");
  pf_.timeouts = counter("switchboard_pool_timeouts_total",
                         "Requests that reached their deadline without a lease, by pool.");
  pf_.rejected = counter("switchboard_pool_rejected_total",
                         "Requests refused at once, by pool and reason (queue_full, "
                         "breaker_open).");
  pf_.abandoned = counter("switchboard_pool_abandoned_total",
                          "Waiting requests whose call ended first, by pool.");
  pf_.cancelled = counter("switchboard_pool_cancelled_total",
                          "Requests or leases cancelled by their call, by pool.");
  pf_.double_releases = counter("switchboard_pool_double_releases_total",
                                "Releases of a lease already returned, by pool.");
  pf_.outcomes = counter("switchboard_pool_bad_outcomes_total",
                         "Leases that ended badly, by pool and outcome (failure, "
                         "rate_limited): what the breaker and back-off count.");
  pf_.breaker_opened = counter("switchboard_breaker_opened_total",
                               "Times a pool's circuit breaker opened, by pool.");
}

node_metrics::pool_series& node_metrics::pool(const pool_stats& s) {
  auto i = pools_.find(s.name);
  if (i != pools_.end())
    return i->second;
  prometheus::Labels l{{"pool", s.name}};
  prometheus::Histogram::BucketBoundaries bounds;
  for (auto ms : s.wait_bounds_ms)
    bounds.push_back(static_cast<double>(ms) / 1000.0);
  pool_series p{&pf_.active->Add(l),          &pf_.queued->Add(l),
                &pf_.capacity->Add(l),        &pf_.effective_capacity->Add(l),
                &pf_.queue_capacity->Add(l),  &pf_.utilization->Add(l),
                &pf_.breaker->Add(l),         &pf_.wait->Add(l, bounds),
                std::vector<uint64_t>(bounds.size() + 1, 0), 0, {}};
  for (auto* f : {pf_.acquired, pf_.released, pf_.reclaimed, pf_.timeouts, pf_.abandoned,
                  pf_.cancelled, pf_.double_releases, pf_.breaker_opened})
    p.totals.emplace_back(&f->Add(l), 0);
  for (auto* why : {"queue_full", "breaker_open"})
    p.totals.emplace_back(&pf_.rejected->Add({{"pool", s.name}, {"reason", why}}), 0);
  for (auto* why : {"failure", "rate_limited"})
    p.totals.emplace_back(&pf_.outcomes->Add({{"pool", s.name}, {"outcome", why}}), 0);
  return pools_.emplace(s.name, std::move(p)).first->second;
}

void node_metrics::pools(const std::vector<pool_stats>& stats) {
  std::lock_guard<std::mutex> g{pool_mutex_};
  for (auto& s : stats) {
    auto& p = pool(s);
    p.active->Set(s.active);
    p.queued->Set(s.queued);
    p.capacity->Set(s.capacity);
    p.effective_capacity->Set(s.effective_capacity);
    p.queue_capacity->Set(s.max_queue);
    p.utilization->Set(s.utilization);
    p.breaker->Set(static_cast<double>(static_cast<int>(s.breaker)));
    // In the order pool() created them.
    const uint64_t now[] = {s.acquired,         s.released,  s.reclaimed,
                            s.timeouts,         s.abandoned, s.cancelled,
                            s.double_releases,  s.breaker_opened,
                            s.rejected,         s.breaker_rejected,
                            s.failures,         s.rate_limited};
    for (size_t i = 0; i < p.totals.size(); ++i) {
      auto& [c, seen] = p.totals[i];
      if (now[i] > seen)
        c->Increment(static_cast<double>(now[i] - seen));
      seen = now[i];  // a pool that restarted counts from 0 again
    }
    // The pool's wait histogram, as increments since the last poll.
    if (s.wait_counts.size() == p.wait_seen.size()) {
      std::vector<double> inc(s.wait_counts.size(), 0);
      bool grew = false;
      for (size_t i = 0; i < inc.size(); ++i) {
        if (s.wait_counts[i] > p.wait_seen[i]) {
          inc[i] = static_cast<double>(s.wait_counts[i] - p.wait_seen[i]);
          grew = true;
        }
        p.wait_seen[i] = s.wait_counts[i];
      }
      double sum = s.wait_total_us > p.wait_us_seen
                     ? static_cast<double>(s.wait_total_us - p.wait_us_seen) / 1e6
                     : 0;
      p.wait_us_seen = s.wait_total_us;
      if (grew)
        p.wait->ObserveMultiple(inc, sum);
    }
  }
}

} // namespace sb
