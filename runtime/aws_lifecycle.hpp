// [aws] lifecycle = imds: the node watches its own instance's fate and leaves in order.
//
// A thread polls IMDSv2 every poll_interval for autoscaling/target-lifecycle-state
// (Terminated: the group is scaling in) and spot/instance-action (404: no notice; JSON
// {"action","time"}: a Spot interruption at `time`). On either it starts the node's
// drain, exactly as SIGTERM does (`start_drain`). A Spot notice caps the drain to end
// spot_margin before the notice's time (drain_deadline). While a termination lifecycle
// action is pending and calls remain, it sends RecordLifecycleActionHeartbeat every
// heartbeat_interval; finish(), called once the node has drained (calls ended,
// transcripts written, cluster left), sends CompleteLifecycleAction CONTINUE once.
// Failures (IMDS unreachable, a refused token, an API error) are logged and retried;
// nothing here stops the node.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "messages/config.hpp"
#include "net/aws/imds.hpp"
#include "runtime/aws_start.hpp"

namespace sb {

class lifecycle_watcher {
public:
  using steady = std::chrono::steady_clock;
  lifecycle_watcher(aws_section cfg, std::function<int64_t()> active_calls,
                    std::function<void()> start_drain);
  ~lifecycle_watcher();
  // Starts the thread; nothing when [aws] lifecycle is off.
  void start();
  // `configured`, or earlier when a Spot notice leaves less time.
  steady::time_point drain_deadline(steady::time_point configured) const;
  // Stops the thread; completes the lifecycle action when the instance is terminating
  // (seen before, or read now) and a hook is configured. Call once, after the drain.
  void finish();

private:
  void run();
  void poll();
  bool ensure_identity();
  void heartbeat();
  bool lifecycle_call(const char* action, bool with_result);
  void request_drain(const std::string& why);
  void log_failure(const std::string& what, const std::string& err);

  aws_section cfg_;
  std::function<int64_t()> active_calls_;
  std::function<void()> start_drain_;
  aws::imds_client imds_;
  instance_identity id_;
  bool identity_ok_ = false;
  bool asg_ok_ = false;

  mutable std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool terminating_ = false;   // target-lifecycle-state said Terminated
  bool drain_started_ = false;
  bool completed_ = false;
  std::optional<steady::time_point> spot_deadline_;
  steady::time_point next_heartbeat_{};
  int failures_ = 0;           // consecutive failed polls
  std::string last_error_;
  std::thread thread_;
};

} // namespace sb
