#include "runtime/emf.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace sb {

std::string emf_line(const metrics_section& cfg, const std::string& node,
                     int64_t active_calls, int64_t epoch_ms) {
  using nlohmann::json;
  json names = json::array();
  json line = json::object();
  for (auto& [name, value] : cfg.emf_dimensions) {
    auto v = value;
    for (auto at = v.find("{node}"); at != std::string::npos; at = v.find("{node}", at))
      v.replace(at, 6, node);
    names.push_back(name);
    line[name] = v;
  }
  line["_aws"] = {
    {"Timestamp", epoch_ms},
    {"CloudWatchMetrics",
     json::array({{{"Namespace", cfg.emf_namespace},
                   {"Dimensions", json::array({names})},
                   {"Metrics", json::array({{{"Name", "ActiveCalls"}, {"Unit", "Count"}}})}}})}};
  line["ActiveCalls"] = active_calls;
  if (!line.contains("Node"))
    line["Node"] = node;  // a log field only, unless it is a dimension
  return line.dump();
}

emf_reporter::emf_reporter(metrics_section cfg, std::string node,
                           std::function<int64_t()> active_calls)
  : cfg_(std::move(cfg)), node_(std::move(node)), active_calls_(std::move(active_calls)) {}

emf_reporter::~emf_reporter() { stop(); }

bool emf_reporter::start(std::string& err) {
  if (cfg_.emf_interval.count() == 0)
    return true;
  if (cfg_.emf_file.empty()) {
    out_ = stdout;
  } else {
    out_ = std::fopen(cfg_.emf_file.c_str(), "a");
    if (!out_) {
      err = "metrics.emf_file: cannot open '" + cfg_.emf_file + "': " + std::strerror(errno);
      return false;
    }
    own_file_ = true;
  }
  write_line();  // the first at once: written before the node starts listening
  thread_ = std::thread([this] { run(); });
  return true;
}

void emf_reporter::stop() {
  {
    std::lock_guard<std::mutex> g{m_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  if (own_file_ && out_)
    std::fclose(out_);
  out_ = nullptr;
  own_file_ = false;
}

void emf_reporter::run() {
  auto next = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock{m_};
  for (;;) {
    // A line that is late (a stalled machine) is not followed by a burst catching up.
    next = std::max(next + cfg_.emf_interval, std::chrono::steady_clock::now());
    if (cv_.wait_until(lock, next, [this] { return stopping_; }))
      return;
    write_line();
  }
}

void emf_reporter::write_line() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  auto line = emf_line(cfg_, node_, active_calls_(), ms) + "\n";
  // One fwrite per line: standard output's lock keeps it whole beside the log lines.
  if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0) {
    if (!warned_)
      spdlog::warn("metrics.emf_file: cannot write: {}", std::strerror(errno));
    warned_ = true;
  }
}

} // namespace sb
