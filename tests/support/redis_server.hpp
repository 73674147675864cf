// Integration-test helper: a real redis-server (Debian's) on a free loopback port, with
// no persistence, logging to DIR/redis.log; stopped by pid (stop()) or when destroyed.
#pragma once

#include <cstdint>
#include <string>

#include "tests/support/processes.hpp"

namespace sb::test {

struct redis_server {
  child proc;
  uint16_t port = 0;
  std::string dir;
  // Starts it on a free port (throws if it does not answer within 20 s).
  explicit redis_server(const std::string& dir);
  // Starts it again on the same port (after stop()).
  void restart();
  void stop();
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port); }
};

} // namespace sb::test
