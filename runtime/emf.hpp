// The auto-scaling signal: every metrics.emf_interval, one line of CloudWatch Embedded
// Metric Format (one JSON object, nothing before or after it) carrying ActiveCalls, to
// metrics.emf_file or standard output. The CloudWatch agent turns each line into a
// metric a target tracking policy can follow; no AWS SDK in the node.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "messages/config.hpp"

namespace sb {

// One EMF line (without the newline) for `active_calls` at `epoch_ms`; "{node}" in a
// dimension value is `node`.
std::string emf_line(const metrics_section& cfg, const std::string& node,
                     int64_t active_calls, int64_t epoch_ms);

class emf_reporter {
public:
  emf_reporter(metrics_section cfg, std::string node, std::function<int64_t()> active_calls);
  ~emf_reporter();
  // Opens the file (appending), writes the first line and starts writing one per
  // interval; false with `err` when the file cannot be opened. Nothing to do when the
  // interval is 0.
  bool start(std::string& err);
  void stop();

private:
  void run();
  void write_line();

  metrics_section cfg_;
  std::string node_;
  std::function<int64_t()> active_calls_;
  std::FILE* out_ = nullptr;
  bool own_file_ = false;
  std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool warned_ = false;  // about a failed write (said once)
  std::thread thread_;
};

} // namespace sb
