#include "runtime/aws_lifecycle.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "net/aws/query_api.hpp"

namespace sb {

namespace {

using namespace std::chrono_literals;

} // namespace

lifecycle_watcher::lifecycle_watcher(aws_section cfg, std::function<int64_t()> active_calls,
                                     std::function<void()> start_drain)
  : cfg_(std::move(cfg)),
    active_calls_(std::move(active_calls)),
    start_drain_(std::move(start_drain)),
    imds_(cfg_.imds_url, cfg_.request_timeout) {}

lifecycle_watcher::~lifecycle_watcher() {
  {
    std::lock_guard<std::mutex> g{m_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void lifecycle_watcher::start() {
  if (cfg_.lifecycle != "imds")
    return;
  spdlog::info("aws: watching the instance's lifecycle at {} every {} ms{}", cfg_.imds_url,
               cfg_.poll_interval.count(),
               cfg_.lifecycle_hook.empty() ? " (no lifecycle hook: drain only)"
                                           : ", hook " + cfg_.lifecycle_hook);
  thread_ = std::thread([this] { run(); });
}

lifecycle_watcher::steady::time_point
lifecycle_watcher::drain_deadline(steady::time_point configured) const {
  std::lock_guard<std::mutex> g{m_};
  return spot_deadline_ ? std::min(configured, *spot_deadline_) : configured;
}

void lifecycle_watcher::log_failure(const std::string& what, const std::string& err) {
  ++failures_;
  // Every failure while few, then one in 60 (a node left without IMDS for hours).
  if (failures_ <= 3 || failures_ % 60 == 0 || err != last_error_)
    spdlog::warn("aws: {}: {} (attempt {}, retrying every {} ms)", what, err, failures_,
                 cfg_.poll_interval.count());
  last_error_ = err;
}

bool lifecycle_watcher::ensure_identity() {
  std::string err;
  if (!identity_ok_) {
    if (!read_identity(imds_, cfg_, false, false, id_, err)) {
      log_failure("cannot read the instance's identity", err);
      return false;
    }
    identity_ok_ = true;
    spdlog::info("aws: instance {} in {}", id_.instance_id, id_.region);
  }
  if (!asg_ok_ && !cfg_.lifecycle_hook.empty()) {
    id_.asg_name = read_asg_name(imds_, cfg_, err);
    if (id_.asg_name.empty()) {
      log_failure("cannot read the instance's Auto Scaling group", err);
      return false;
    }
    asg_ok_ = true;
    spdlog::info("aws: Auto Scaling group {}, lifecycle hook {}", id_.asg_name,
                 cfg_.lifecycle_hook);
  }
  return true;
}

void lifecycle_watcher::request_drain(const std::string& why) {
  bool first = false;
  {
    std::lock_guard<std::mutex> g{m_};
    first = !drain_started_;
    drain_started_ = true;
  }
  if (first) {
    spdlog::warn("aws: {}: draining", why);
    start_drain_();
  }
}

void lifecycle_watcher::poll() {
  if (!ensure_identity())
    return;
  auto state = imds_.get("meta-data/autoscaling/target-lifecycle-state");
  auto spot = imds_.get("meta-data/spot/instance-action");
  for (auto* r : {&state, &spot})
    if (!r->error.empty() || (r->status != 200 && r->status != 404)) {
      log_failure("IMDS lifecycle poll", aws::describe(*r));
      return;
    }
  if (failures_ > 0)
    spdlog::info("aws: IMDS answers again (after {} failed attempts)", failures_);
  failures_ = 0;
  last_error_.clear();
  if (state.status == 200 && state.body.find("Terminated") != std::string::npos) {
    bool first = false;
    {
      std::lock_guard<std::mutex> g{m_};
      first = !terminating_;
      terminating_ = true;
    }
    if (first) {
      next_heartbeat_ = steady::now();  // the first heartbeat at once while calls remain
      request_drain("target lifecycle state " + state.body + " (the group is scaling in)");
    }
  }
  if (spot.status == 200) {
    bool first = false;
    {
      std::lock_guard<std::mutex> g{m_};
      first = !spot_deadline_;
    }
    if (!first)
      return;
    auto j = nlohmann::json::parse(spot.body, nullptr, false);
    std::chrono::system_clock::time_point at;
    std::string action = j.is_object() && j["action"].is_string() ? j["action"].get<std::string>() : "?";
    bool timed = j.is_object() && j["time"].is_string() &&
                 aws::parse_utc_time(j["time"].get<std::string>(), at);
    if (!timed)  // no readable time: the notice's two minutes from now
      at = std::chrono::system_clock::now() + 120s;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      at - std::chrono::system_clock::now() - cfg_.spot_margin);
    if (left.count() < 0)
      left = 0ms;
    {
      std::lock_guard<std::mutex> g{m_};
      spot_deadline_ = steady::now() + left;
    }
    request_drain("Spot interruption notice (" + action + " at " +
                  (timed ? j["time"].get<std::string>() : "an unreadable time, taken as 2 minutes") +
                  "): drain capped to " + std::to_string(left.count()) + " ms");
  }
}

bool lifecycle_watcher::lifecycle_call(const char* action, bool with_result) {
  aws::credentials creds;
  std::string err;
  if (!imds_.role_credentials(creds, err)) {
    spdlog::error("aws: {}: no role credentials: {}", action, err);
    return false;
  }
  aws::query_params p{{"Action", action},
                      {"Version", "2011-01-01"},
                      {"AutoScalingGroupName", id_.asg_name},
                      {"LifecycleHookName", cfg_.lifecycle_hook},
                      {"InstanceId", id_.instance_id}};
  if (with_result)
    p.emplace_back("LifecycleActionResult", "CONTINUE");
  auto endpoint = cfg_.autoscaling_url.empty()
                    ? aws::default_endpoint("autoscaling", id_.region)
                    : cfg_.autoscaling_url;
  auto r = aws::query_call(endpoint, id_.region, "autoscaling", p, creds, cfg_.request_timeout);
  if (!r.ok()) {
    spdlog::error("aws: {} ({} {} in {}): {}", action, id_.instance_id, cfg_.lifecycle_hook,
                  id_.asg_name, r.describe());
    return false;
  }
  return true;
}

void lifecycle_watcher::heartbeat() {
  if (cfg_.lifecycle_hook.empty() || !asg_ok_)
    return;
  {
    std::lock_guard<std::mutex> g{m_};
    if (!terminating_ || completed_)
      return;
  }
  auto now = steady::now();
  if (now < next_heartbeat_)
    return;
  next_heartbeat_ = now + cfg_.heartbeat_interval;
  auto calls = active_calls_();
  if (calls <= 0)
    return;
  if (lifecycle_call("RecordLifecycleActionHeartbeat", false))
    spdlog::info("aws: lifecycle action heartbeat ({} calls remain)", calls);
}

void lifecycle_watcher::run() {
  std::unique_lock<std::mutex> lock{m_};
  auto next_poll = steady::now();
  while (!stopping_) {
    lock.unlock();
    if (steady::now() >= next_poll) {
      poll();
      next_poll = steady::now() + cfg_.poll_interval;
    }
    heartbeat();
    lock.lock();
    auto wake = next_poll;
    if (terminating_ && !cfg_.lifecycle_hook.empty())
      wake = std::min(wake, next_heartbeat_);
    cv_.wait_until(lock, wake, [this] { return stopping_; });
  }
}

void lifecycle_watcher::finish() {
  if (cfg_.lifecycle != "imds")
    return;
  {
    std::lock_guard<std::mutex> g{m_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  if (cfg_.lifecycle_hook.empty())
    return;
  bool terminating = false;
  {
    std::lock_guard<std::mutex> g{m_};
    terminating = terminating_;
  }
  // Stopped by a signal before the watcher saw the state: read it once more.
  if (!terminating && ensure_identity()) {
    auto state = imds_.get("meta-data/autoscaling/target-lifecycle-state");
    terminating = state.ok() && state.body.find("Terminated") != std::string::npos;
  }
  if (!terminating || !ensure_identity()) {
    spdlog::info("aws: the instance is not terminating: no lifecycle action to complete");
    return;
  }
  for (int attempt = 1; attempt <= 3; ++attempt) {
    if (lifecycle_call("CompleteLifecycleAction", true)) {
      std::lock_guard<std::mutex> g{m_};
      completed_ = true;
      spdlog::info("aws: lifecycle action completed (CONTINUE): the group may terminate {}",
                   id_.instance_id);
      return;
    }
    if (attempt < 3)  // a retry's pause, not a synchronisation
      std::this_thread::sleep_for(std::chrono::seconds{attempt});
  }
  spdlog::error("aws: CompleteLifecycleAction failed 3 times; the group continues when the "
                "hook's heartbeat timeout passes");
}

} // namespace sb
