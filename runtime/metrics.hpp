// The node's metrics: a Prometheus registry, the call probe the call actors report to,
// and the JSON stats served on /api/v1/stats.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>

#include "messages/call.hpp"
#include "messages/pool.hpp"
#include "net/io/net_probe.hpp"

namespace sb {

// Keeps the most recent samples for exact percentiles.
class latency_window {
public:
  explicit latency_window(size_t capacity = 10000) : capacity_(capacity) {}
  void add(double ms);
  struct summary {
    size_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0, max = 0;
  };
  summary get() const;

private:
  mutable std::mutex mutex_;
  size_t capacity_;
  size_t next_ = 0;
  std::vector<double> samples_;
};

// Every metric is listed, with its type, labels and meaning, in docs/observability.md;
// the naming rules are there too.
class node_metrics : public call_probe {
public:
  node_metrics();
  void call_started() override;
  void call_ended(call_end why) override;
  void call_duration(std::chrono::microseconds d) override;
  void turn_latency(std::chrono::microseconds latency) override;
  void barge_in() override;
  void call_resumed() override;
  void provider_failed(provider_kind p, failure_kind k) override;
  void fallback(provider_kind p, exhausted_action a) override;
  void failover(provider_kind p, const char* reason) override;
  void stt_backlog_dropped(size_t bytes) override;
  void stt_backlog_trimmed(std::chrono::milliseconds silence) override;
  void provider_latency(provider_kind p, provider_stage s,
                        std::chrono::microseconds latency) override;
  // Pool gauges and totals from the latest polled stats.
  void pools(const std::vector<pool_stats>& stats);

  net::net_probe& net() { return net_; }
  std::string prometheus_text();
  latency_window::summary turn_latency_summary() const { return turns_.get(); }
  int64_t active_calls() const { return static_cast<int64_t>(active_->Value()); }

private:
  // A pool's metrics, created when the pool first reports.
  struct pool_series {
    prometheus::Gauge* active;
    prometheus::Gauge* queued;
    prometheus::Gauge* capacity;
    prometheus::Gauge* effective_capacity;
    prometheus::Gauge* queue_capacity;
    prometheus::Gauge* utilization;
    prometheus::Gauge* breaker;
    prometheus::Histogram* wait;
    std::vector<uint64_t> wait_seen;  // bucket counts already observed
    uint64_t wait_us_seen = 0;
    // Counters fed from the pool's totals: the counter and the total already added.
    std::vector<std::pair<prometheus::Counter*, uint64_t>> totals;
  };
  void build_pool_families();
  pool_series& pool(const pool_stats& s);
  void sync_net_counters();

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* active_;
  prometheus::Counter* started_;
  prometheus::Family<prometheus::Counter>* ended_;
  prometheus::Histogram* duration_;
  prometheus::Histogram* latency_;
  prometheus::Counter* barge_ins_;
  prometheus::Counter* resumed_;
  prometheus::Family<prometheus::Counter>* failures_;
  prometheus::Family<prometheus::Counter>* fallbacks_;
  prometheus::Family<prometheus::Counter>* failovers_;
  prometheus::Family<prometheus::Histogram>* provider_latency_;
  prometheus::Counter* backlog_dropped_;
  prometheus::Counter* backlog_trimmed_;
  prometheus::Gauge* pending_ = nullptr;  // connections without start

  struct pool_families {
    prometheus::Family<prometheus::Gauge>* active;
    prometheus::Family<prometheus::Gauge>* queued;
    prometheus::Family<prometheus::Gauge>* capacity;
    prometheus::Family<prometheus::Gauge>* effective_capacity;
    prometheus::Family<prometheus::Gauge>* queue_capacity;
    prometheus::Family<prometheus::Gauge>* utilization;
    prometheus::Family<prometheus::Gauge>* breaker;
    prometheus::Family<prometheus::Histogram>* wait;
    prometheus::Family<prometheus::Counter>* acquired;
    prometheus::Family<prometheus::Counter>* released;
    prometheus::Family<prometheus::Counter>* reclaimed;
    prometheus::Family<prometheus::Counter>* timeouts;
    prometheus::Family<prometheus::Counter>* rejected;
    prometheus::Family<prometheus::Counter>* abandoned;
    prometheus::Family<prometheus::Counter>* cancelled;
    prometheus::Family<prometheus::Counter>* double_releases;
    prometheus::Family<prometheus::Counter>* outcomes;
    prometheus::Family<prometheus::Counter>* breaker_opened;
  } pf_{};
  std::mutex pool_mutex_;
  std::map<std::string, pool_series> pools_;

  std::mutex net_mutex_;
  std::vector<std::pair<std::atomic<uint64_t>*, prometheus::Counter*>> net_map_;
  std::vector<uint64_t> net_seen_;
  latency_window turns_;
  net::net_probe net_;
};

} // namespace sb
