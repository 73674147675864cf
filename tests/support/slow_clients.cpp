#include "tests/support/slow_clients.hpp"

#include <poll.h>

#include <algorithm>

#include "tools/caller/caller_engine.hpp"

namespace sb::test {

using namespace std::chrono_literals;

std::string twilio_frame_b64(bool speech, uint64_t n) {
  return caller::tone_frame(dialect::twilio, speech, n);
}

deaf_caller::deaf_caller(const std::string& ip, uint16_t port, std::string call_sid)
  : ws_(ip, port, 2048), sid_(std::move(call_sid)) {}

deaf_caller::~deaf_caller() { stop(); }

bool deaf_caller::start() {
  return ws_.ok() && ws_.upgrade("/ws/twilio").status == 101 && ws_.send_twilio_start(sid_);
}

void deaf_caller::stream() {
  thread_ = std::thread([this] {
    const auto speech = twilio_frame_b64(true, 0), silence = twilio_frame_b64(false, 0);
    auto next = std::chrono::steady_clock::now();
    for (uint64_t n = 0; !stop_; ++n) {
      if (!ws_.send_twilio_media("MZ" + sid_, n < 40 ? speech : silence))
        break;  // the node has closed the connection
      next += 20ms;  // the pace of a phone line
      // Until the next frame is due, wait for the node to hang up (POLLHUP/POLLERR only:
      // reading is what this caller never does).
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        next - std::chrono::steady_clock::now());
      pollfd p{ws_.fd(), 0, 0};
      if (poll(&p, 1, static_cast<int>(std::max<int64_t>(0, wait.count()))) > 0 &&
          (p.revents & (POLLHUP | POLLERR)))
        break;
    }
    dropped_ = !stop_;
  });
}

void deaf_caller::stop() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
  ws_.drop();
}

slow_upgrades::slow_upgrades(const std::string& ip, uint16_t port, size_t n,
                             std::chrono::milliseconds give_up) {
  for (size_t i = 0; i < n; ++i) {
    raw_ws c(ip, port);
    if (c.ok() && c.send_raw("GET /ws/twilio HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "))
      conns_.push_back(std::move(c));
  }
  thread_ = std::thread([this, give_up] {
    const auto opened = std::chrono::steady_clock::now();
    std::vector<bool> gone(conns_.size(), false);
    auto next = opened;
    while (dropped_ < conns_.size() && std::chrono::steady_clock::now() - opened < give_up) {
      // Every 100 ms (the trickle's pace) one more byte on each open connection; between
      // bytes, wait for the node to close any of them (it sends nothing else: readable
      // means closed).
      if (std::chrono::steady_clock::now() >= next) {
        next += 100ms;
        for (size_t i = 0; i < conns_.size(); ++i)
          if (!gone[i])
            conns_[i].send_raw("a");
      }
      std::vector<pollfd> fds;
      std::vector<size_t> which;
      for (size_t i = 0; i < conns_.size(); ++i)
        if (!gone[i]) {
          fds.push_back({conns_[i].fd(), POLLIN, 0});
          which.push_back(i);
        }
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        next - std::chrono::steady_clock::now());
      if (poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait.count()))) <= 0)
        continue;
      for (size_t k = 0; k < fds.size(); ++k)
        if (fds[k].revents) {
          gone[which[k]] = true;
          ++dropped_;
          last_drop_ = std::chrono::steady_clock::now() - opened;
        }
    }
  });
}

slow_upgrades::~slow_upgrades() { join(); }

size_t slow_upgrades::join() {
  if (thread_.joinable())
    thread_.join();
  return dropped_;
}

} // namespace sb::test
