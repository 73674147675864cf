#include "tests/support/slow_clients.hpp"

#include <poll.h>

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
      next += 20ms;
      std::this_thread::sleep_until(next);  // the pace of a phone line
      pollfd p{ws_.fd(), 0, 0};  // POLLHUP/POLLERR only: reading is what it never does
      if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
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
    while (dropped_ < conns_.size() && std::chrono::steady_clock::now() - opened < give_up) {
      for (size_t i = 0; i < conns_.size(); ++i) {
        if (gone[i])
          continue;
        pollfd p{conns_[i].fd(), POLLIN, 0};  // the node sends nothing: readable = closed
        if (poll(&p, 1, 0) > 0 || !conns_[i].send_raw("a")) {
          gone[i] = true;
          ++dropped_;
          last_drop_ = std::chrono::steady_clock::now() - opened;
        }
      }
      std::this_thread::sleep_for(100ms);  // the trickle's own pace: a byte every 100 ms
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
