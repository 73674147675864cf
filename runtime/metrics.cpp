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

namespace {

using prometheus::Histogram;

// Turn and provider latencies: tens of milliseconds to seconds.
const Histogram::BucketBoundaries latency_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                  0.75, 1, 1.5, 2, 3, 5, 10};
// Whole calls: seconds to an hour.
const Histogram::BucketBoundaries duration_buckets{1, 5, 10, 30, 60, 120, 300, 600, 1200,
                                                   1800, 3600};

double seconds(std::chrono::microseconds d) {
  return static_cast<double>(d.count()) / 1e6;
}

} // namespace

node_metrics::node_metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  using namespace prometheus;
  auto& reg = *registry_;
  auto counter = [&](const char* name, const char* help) -> Family<Counter>& {
    return BuildCounter().Name(name).Help(help).Register(reg);
  };
  auto gauge = [&](const char* name, const char* help) -> Family<Gauge>& {
    return BuildGauge().Name(name).Help(help).Register(reg);
  };
  auto histogram = [&](const char* name, const char* help) -> Family<Histogram>& {
    return BuildHistogram().Name(name).Help(help).Register(reg);
  };

  // Calls.
  active_ = &gauge("switchboard_active_calls", "Calls in progress on this node.").Add({});
  started_ = &counter("switchboard_calls_started_total", "Calls accepted (start event).")
                .Add({});
  ended_ = &counter("switchboard_calls_ended_total", "Calls ended, by outcome.");
  for (int i = 0; i <= static_cast<int>(call_end::handoff); ++i)
    ended_->Add({{"outcome", to_string(static_cast<call_end>(i))}});
  duration_ = &histogram("switchboard_call_duration_seconds",
                         "Length of ended calls, start event to end.")
                 .Add({}, duration_buckets);
  latency_ = &histogram("switchboard_turn_latency_seconds",
                        "End of caller speech (final transcript) to the first reply audio, "
                        "per turn.")
                .Add({}, latency_buckets);
  barge_ins_ = &counter("switchboard_barge_ins_total", "Caller speech over a reply.").Add({});
  resumed_ = &counter("switchboard_calls_resumed_total",
                      "Calls whose stream came back (same call sid) and went on from their "
                      "session snapshot.")
                .Add({});
  fallbacks_ = &counter("switchboard_call_fallbacks_total",
                        "Calls that got no provider lease in time, by provider and action "
                        "(wait, hold, end).");
  const provider_kind providers[] = {provider_kind::stt, provider_kind::llm, provider_kind::tts};
  for (auto p : providers)
    for (int a = 0; a <= static_cast<int>(exhausted_action::end); ++a)
      fallbacks_->Add({{"provider", to_string(p)},
                       {"action", to_string(static_cast<exhausted_action>(a))}});

  // Providers.
  provider_latency_ = &histogram(
    "switchboard_provider_latency_seconds",
    "Provider latency by provider and stage: stt transcript (audio sent to its final "
    "transcript), llm first_token, tts first_audio_byte (request to first reply).");
  for (auto [p, st] : {std::pair{provider_kind::stt, provider_stage::transcript},
                       {provider_kind::llm, provider_stage::first_token},
                       {provider_kind::tts, provider_stage::first_audio_byte}})
    provider_latency_->Add({{"provider", to_string(p)}, {"stage", to_string(st)}},
                           latency_buckets);
  failures_ = &counter("switchboard_provider_failures_total",
                       "Provider stream failures, by provider and kind.");
  for (auto p : providers)
    for (int k = 0; k <= static_cast<int>(failure_kind::rejected); ++k)
      failures_->Add({{"provider", to_string(p)},
                      {"kind", to_string(static_cast<failure_kind>(k))}});
  failovers_ = &counter("switchboard_provider_failovers_total",
                        "Requests a stage sent to its fallback provider ([stt|tts] fallback), "
                        "by provider and reason (no_lease, failed).");
  for (auto p : {provider_kind::stt, provider_kind::tts})
    for (auto r : {"no_lease", "failed"})
      failovers_->Add({{"provider", to_string(p)}, {"reason", r}});
  backlog_dropped_ = &counter("switchboard_stt_backlog_dropped_bytes_total",
                              "Caller audio dropped from a full backlog while waiting for an "
                              "STT lease (call.stt_buffer).")
                        .Add({});
  backlog_trimmed_ = &counter("switchboard_stt_backlog_trimmed_seconds_total",
                              "Silence left out of the caller audio kept while waiting for "
                              "STT (long pauses shortened; never speech).")
                        .Add({});

  // Network edge counters, copied from the net probe at each scrape.
  auto net = [&](Counter& c, std::atomic<uint64_t>& v) {
    net_map_.emplace_back(&v, &c);
    net_seen_.push_back(0);
  };
  auto one = [&](const char* name, const char* help, std::atomic<uint64_t>& v) {
    net(counter(name, help).Add({}), v);
  };
  one("switchboard_telephony_sessions_total", "Telephony WebSocket upgrades accepted.",
      net_.sessions_accepted);
  one("switchboard_telephony_upgrades_refused_total",
      "Telephony WebSocket upgrades refused, whatever the reason.", net_.upgrades_refused);
  auto& frames = counter("switchboard_telephony_frames_total",
                         "WebSocket messages with callers (media, marks, events), by "
                         "direction.");
  net(frames.Add({{"direction", "in"}}), net_.frames_in);
  net(frames.Add({{"direction", "out"}}), net_.frames_out);
  one("switchboard_telephony_protocol_errors_total",
      "Caller connections closed for something the node could not accept.",
      net_.protocol_errors);
  one("switchboard_telephony_unknown_events_total",
      "Caller events of a type the node does not know (skipped).", net_.unknown_events);
  auto& closed = counter("switchboard_telephony_closed_total",
                         "Caller connections the node closed to protect itself, by reason.");
  net(closed.Add({{"reason", "no_start"}}), net_.closed_no_start);
  net(closed.Add({{"reason", "message_size"}}), net_.closed_message_size);
  net(closed.Add({{"reason", "frame_rate"}}), net_.closed_frame_rate);
  net(closed.Add({{"reason", "slow_reader"}}), net_.closed_slow_reader);
  one("switchboard_provider_streams_total", "Provider streams and requests opened.",
      net_.provider_streams);
  auto& reconnects = counter("switchboard_provider_reconnects_total",
                             "Provider streams reopened after a loss mid-call, by provider.");
  net(reconnects.Add({{"provider", "stt"}}), net_.stt_reconnects);
  one("switchboard_provider_http_requests_total", "LLM and TTS HTTP requests sent.",
      net_.http_requests);
  one("switchboard_provider_http_reused_total",
      "LLM and TTS HTTP requests sent on a connection kept alive from an earlier one.",
      net_.http_reused);
  one("switchboard_provider_http_retried_total",
      "LLM and TTS HTTP requests sent again on a new connection because the kept-alive one "
      "had been closed by the provider.",
      net_.http_retried);
  one("switchboard_stt_audio_dropped_bytes_total",
      "Caller audio dropped at the edge while its STT stream was connecting.",
      net_.stt_audio_dropped);
  auto& refusals = counter("switchboard_admission_refusals_total",
                           "Telephony connections refused, by reason: at the upgrade "
                           "(429/503) or at start (closed 4503).");
  for (size_t i = 0; i < admission::refusal_kinds; ++i)
    net(refusals.Add({{"reason", admission::to_string(static_cast<admission::refusal>(i))}}),
        net_.refused[i]);
  auto& auth = counter("switchboard_auth_refusals_total",
                       "Requests refused for their credentials, by reason: telephony "
                       "upgrades ([auth], 401/403) and operator HTTP routes ([http] "
                       "token_env).");
  for (size_t i = 0; i < admission::auth_refusal_kinds; ++i)
    net(auth.Add({{"reason",
                   admission::to_string(static_cast<admission::auth_refusal>(i))}}),
        net_.auth_refused[i]);
  pending_ = &gauge("switchboard_admission_pending_connections",
                    "Telephony connections that have not sent start yet.")
                .Add({});
  net_.stt_latency = [this](std::chrono::microseconds d) {
    provider_latency(provider_kind::stt, provider_stage::transcript, d);
  };
  build_pool_families();
}

void node_metrics::call_started() {
  active_->Increment();
  started_->Increment();
}

void node_metrics::call_ended(call_end why) {
  active_->Decrement();
  ended_->Add({{"outcome", to_string(why)}}).Increment();
}

void node_metrics::call_duration(std::chrono::microseconds d) {
  duration_->Observe(seconds(d));
}

void node_metrics::turn_latency(std::chrono::microseconds latency) {
  double s = seconds(latency);
  latency_->Observe(s);
  turns_.add(s * 1000.0);
}

void node_metrics::barge_in() { barge_ins_->Increment(); }
void node_metrics::call_resumed() { resumed_->Increment(); }

void node_metrics::provider_failed(provider_kind p, failure_kind k) {
  failures_->Add({{"provider", to_string(p)}, {"kind", to_string(k)}}).Increment();
}

void node_metrics::failover(provider_kind p, const char* reason) {
  failovers_->Add({{"provider", to_string(p)}, {"reason", reason}}).Increment();
}

void node_metrics::fallback(provider_kind p, exhausted_action a) {
  fallbacks_->Add({{"provider", to_string(p)}, {"action", to_string(a)}}).Increment();
}

void node_metrics::provider_latency(provider_kind p, provider_stage s,
                                    std::chrono::microseconds latency) {
  provider_latency_->Add({{"provider", to_string(p)}, {"stage", to_string(s)}},
                         latency_buckets)
    .Observe(seconds(latency));
}

void node_metrics::stt_backlog_dropped(size_t bytes) {
  backlog_dropped_->Increment(static_cast<double>(bytes));
}

void node_metrics::stt_backlog_trimmed(std::chrono::milliseconds silence) {
  backlog_trimmed_->Increment(static_cast<double>(silence.count()) / 1000.0);
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
