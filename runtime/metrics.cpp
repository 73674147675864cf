#include "runtime/metrics.hpp"

#include <algorithm>

#include <prometheus/text_serializer.h>

#include "net/admission/admission_control.hpp"
#include "net/admission/credentials.hpp"

namespace sb {

void latency_window::add(double ms) {
  std::lock_guard<std::mutex> g{mutex_};
  if (samples_.size() < capacity_)
    samples_.push_back(ms);
  else
    samples_[next_] = ms;
  next_ = (next_ + 1) % capacity_;
}

latency_window::summary latency_window::get() const {
  std::vector<double> v;
  {
    std::lock_guard<std::mutex> g{mutex_};
    v = samples_;
  }
  summary s;
  s.count = v.size();
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    auto i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
  };
  s.p50 = at(0.50);
  s.p90 = at(0.90);
  s.p99 = at(0.99);
  s.max = v.back();
  return s;
}

node_metrics::node_metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  using namespace prometheus;
  active_ = &BuildGauge().Name("sb_active_calls").Help("Calls in progress.").Register(*registry_)
               .Add({});
  started_ = &BuildCounter().Name("sb_calls_started_total").Help("Calls accepted.")
                .Register(*registry_).Add({});
  ended_ = &BuildCounter().Name("sb_calls_ended_total").Help("Calls ended, by reason.")
              .Register(*registry_);
  latency_ = &BuildHistogram()
                .Name("sb_turn_latency_seconds")
                .Help("End of caller speech to first reply audio, per turn.")
                .Register(*registry_)
                .Add({}, Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                     1, 2, 5});
  barge_ins_ = &BuildCounter().Name("sb_barge_ins_total").Help("Caller speech over a reply.")
                  .Register(*registry_).Add({});
  failures_ = &BuildCounter().Name("sb_provider_failures_total")
                 .Help("Provider stream failures, by provider and kind.").Register(*registry_);
  fallbacks_ = &BuildCounter().Name("sb_call_fallbacks_total")
                  .Help("Calls that got no lease in time, by provider and action.")
                  .Register(*registry_);
  failovers_ = &BuildCounter().Name("sb_provider_failovers_total")
                  .Help("Requests a stage sent to its fallback provider, by provider and "
                        "reason (no_lease, failed).")
                  .Register(*registry_);
  backlog_dropped_ = &BuildCounter().Name("sb_stt_backlog_dropped_bytes_total")
                        .Help("Caller audio dropped while waiting for an STT lease.")
                        .Register(*registry_).Add({});
  backlog_trimmed_ = &BuildCounter().Name("sb_stt_backlog_trimmed_seconds_total")
                        .Help("Silence left out of the caller audio kept while waiting for "
                              "STT (long pauses shortened; never speech).")
                        .Register(*registry_).Add({});
  pool_gauges_ = &BuildGauge().Name("sb_pool").Help(
                    "Pool state by pool and field: active, queued, capacity, "
                    "effective_capacity, utilization, breaker (0 closed, 1 open, 2 half-open).")
                    .Register(*registry_);
  pool_totals_ = &BuildCounter().Name("sb_pool_events_total")
                    .Help("Pool events by pool and kind (acquired, released, reclaimed, "
                          "timeouts, rejected, breaker_rejected, abandoned, cancelled, "
                          "double_releases, failures, rate_limited).")
                    .Register(*registry_);
  net_counters_ = &BuildCounter().Name("sb_net_events_total")
                     .Help("Network edge events, by kind.").Register(*registry_);
  auto add = [&](const char* kind, std::atomic<uint64_t>& v) {
    net_map_.emplace_back(&v, &net_counters_->Add({{"kind", kind}}));
    net_seen_.push_back(0);
  };
  add("sessions_accepted", net_.sessions_accepted);
  add("upgrades_refused", net_.upgrades_refused);
  add("frames_in", net_.frames_in);
  add("frames_out", net_.frames_out);
  add("protocol_errors", net_.protocol_errors);
  add("provider_streams", net_.provider_streams);
  add("provider_failures", net_.provider_failures);
  add("stt_audio_dropped_bytes", net_.stt_audio_dropped);
  add("stt_reconnects", net_.stt_reconnects);
  add("unknown_events", net_.unknown_events);
  add("http_requests", net_.http_requests);
  add("http_reused", net_.http_reused);
  add("http_retried", net_.http_retried);
  add("closed_no_start", net_.closed_no_start);
  add("closed_message_size", net_.closed_message_size);
  add("closed_frame_rate", net_.closed_frame_rate);
  auto& refusals = BuildCounter().Name("sb_admission_refusals_total")
                     .Help("Telephony connections refused, by reason: at the upgrade "
                           "(429/503) or at start (closed 4503).")
                     .Register(*registry_);
  for (size_t i = 0; i < admission::refusal_kinds; ++i) {
    net_map_.emplace_back(&net_.refused[i], &refusals.Add({{"reason",
      admission::to_string(static_cast<admission::refusal>(i))}}));
    net_seen_.push_back(0);
  }
  auto& auth = BuildCounter().Name("sb_auth_refusals_total")
                .Help("Requests refused for their credentials, by reason: telephony "
                      "upgrades ([auth], 401/403) and operator HTTP routes ([http] token_env).")
                .Register(*registry_);
  for (size_t i = 0; i < admission::auth_refusal_kinds; ++i) {
    net_map_.emplace_back(&net_.auth_refused[i], &auth.Add({{"reason",
      admission::to_string(static_cast<admission::auth_refusal>(i))}}));
    net_seen_.push_back(0);
  }
  pending_ = &BuildGauge().Name("sb_admission_pending")
                .Help("Telephony connections that have not sent start yet.")
                .Register(*registry_).Add({});
}

void node_metrics::call_started() {
  active_->Increment();
  started_->Increment();
}

void node_metrics::call_ended(call_end why) {
  active_->Decrement();
  ended_->Add({{"reason", to_string(why)}}).Increment();
}

void node_metrics::turn_latency(std::chrono::microseconds latency) {
  double s = static_cast<double>(latency.count()) / 1e6;
  latency_->Observe(s);
  turns_.add(s * 1000.0);
}

void node_metrics::barge_in() { barge_ins_->Increment(); }

void node_metrics::provider_failed(provider_kind p, failure_kind k) {
  failures_->Add({{"provider", to_string(p)}, {"kind", to_string(k)}}).Increment();
}

void node_metrics::fallback(provider_kind p, exhausted_action a) {
  fallbacks_->Add({{"provider", to_string(p)}, {"action", to_string(a)}}).Increment();
}

void node_metrics::failover(provider_kind p, const char* reason) {
  failovers_->Add({{"provider", to_string(p)}, {"reason", reason}}).Increment();
}

void node_metrics::stt_backlog_dropped(size_t bytes) {
  backlog_dropped_->Increment(static_cast<double>(bytes));
}

void node_metrics::stt_backlog_trimmed(std::chrono::milliseconds silence) {
  backlog_trimmed_->Increment(static_cast<double>(silence.count()) / 1000.0);
}

void node_metrics::pools(const std::vector<pool_stats>& stats) {
  std::lock_guard<std::mutex> g{pool_mutex_};
  for (auto& s : stats) {
    auto gauge = [&](const char* field, double v) {
      pool_gauges_->Add({{"pool", s.name}, {"field", field}}).Set(v);
    };
    gauge("active", s.active);
    gauge("queued", s.queued);
    gauge("capacity", s.capacity);
    gauge("effective_capacity", s.effective_capacity);
    gauge("utilization", s.utilization);
    gauge("breaker", static_cast<double>(static_cast<int>(s.breaker)));
    auto total = [&](const char* kind, uint64_t now) {
      auto& seen = pool_seen_[s.name + "/" + kind];
      auto& c = pool_totals_->Add({{"pool", s.name}, {"kind", kind}});
      if (now > seen)
        c.Increment(static_cast<double>(now - seen));
      seen = now;
    };
    total("acquired", s.acquired);
    total("released", s.released);
    total("reclaimed", s.reclaimed);
    total("timeouts", s.timeouts);
    total("rejected", s.rejected);
    total("breaker_rejected", s.breaker_rejected);
    total("abandoned", s.abandoned);
    total("cancelled", s.cancelled);
    total("double_releases", s.double_releases);
    total("failures", s.failures);
    total("rate_limited", s.rate_limited);
  }
}

void node_metrics::sync_net_counters() {
  std::lock_guard<std::mutex> g{net_mutex_};
  for (size_t i = 0; i < net_map_.size(); ++i) {
    auto now = net_map_[i].first->load();
    if (now > net_seen_[i])
      net_map_[i].second->Increment(static_cast<double>(now - net_seen_[i]));
    net_seen_[i] = now;
  }
}

std::string node_metrics::prometheus_text() {
  sync_net_counters();
  pending_->Set(static_cast<double>(net_.pending.load()));
  return prometheus::TextSerializer{}.Serialize(registry_->Collect());
}

} // namespace sb
