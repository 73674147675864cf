// Small pieces the actors' probes share: the last error, written by the actor and read by
// any thread (stats, /health), and the actor clock in milliseconds (virtual under the
// test coordinator).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace sb {

class probe_error {
public:
  std::string last_error() const {
    std::lock_guard<std::mutex> g{m_};
    return error_;
  }
  void set_error(std::string e) {
    std::lock_guard<std::mutex> g{m_};
    error_ = std::move(e);
  }

private:
  mutable std::mutex m_;
  std::string error_;
};

template <class Self>
int64_t clock_ms(Self* self) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           self->clock().now().time_since_epoch())
    .count();
}

} // namespace sb
