// Slow clients for the edge tests: a caller who never reads what the node sends, and
// connections that write their HTTP upgrade a byte at a time and never finish it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/raw_ws.hpp"

namespace sb::test {

// One 20 ms Twilio frame, base64 mu-law: a 440 Hz tone for speech, near silence otherwise.
std::string twilio_frame_b64(bool speech, uint64_t n);

// A caller who starts a call, speaks for 800 ms, then streams silence in real time (as a
// phone line does) and never reads a byte of what the node sends, through a 2 KiB receive
// window. Streams on its own thread until the node ends the connection or stop().
class deaf_caller {
public:
  deaf_caller(const std::string& ip, uint16_t port, std::string call_sid);
  ~deaf_caller();
  // Upgrades and sends start; true when the node took them.
  bool start();
  void stream();
  // True once the node has dropped the connection (writes fail or the socket hung up).
  bool dropped() const { return dropped_; }
  // Hangs up (closes the socket without a close frame).
  void stop();

private:
  raw_ws ws_;
  std::string sid_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> dropped_{false};
};

// `n` connections from `ip` that each write an upgrade request one byte every 100 ms and
// never finish it (a slowloris), on their own thread, until the node has dropped every
// one or `give_up` has passed.
class slow_upgrades {
public:
  slow_upgrades(const std::string& ip, uint16_t port, size_t n,
                std::chrono::milliseconds give_up);
  ~slow_upgrades();
  size_t opened() const { return conns_.size(); }
  // Waits for the thread; returns how many the node dropped.
  size_t join();
  // From the first connection to the node's last drop.
  std::chrono::steady_clock::duration last_drop() const { return last_drop_; }

private:
  std::vector<raw_ws> conns_;
  std::thread thread_;
  size_t dropped_ = 0;
  std::chrono::steady_clock::duration last_drop_{};
};

} // namespace sb::test
