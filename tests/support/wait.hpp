// Bounded waits for a condition another process makes true (its stats settling).
#pragma once

#include <chrono>
#include <thread>

namespace sb::test {

// Re-checks `pred` every 50 ms until it holds or `timeout` passes; returns the last result.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds{20}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return true;
}

} // namespace sb::test
