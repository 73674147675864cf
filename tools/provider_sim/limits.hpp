// Per-API-key concurrency counters for each simulated API, and the lease that holds a
// slot.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sb::sim {

enum class api : uint8_t { stt = 0, llm = 1, tts_elevenlabs = 2, tts_deepgram = 3 };

struct usage {
  uint64_t current = 0; // streams open now
  uint64_t peak = 0;    // max of current since start / reset
  uint64_t refused = 0; // limit refusals (429)
  uint64_t total = 0;   // accepted streams
  std::deque<std::chrono::steady_clock::time_point> lingering; // closed, still counted
};

class usage_counters;

// Move-only: holds one accepted stream until destroyed or released.
class lease {
 public:
  lease() = default;
  lease(usage_counters& c, api a, std::string key)
      : c_(&c), api_(a), key_(std::move(key)) {}
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;
  lease(lease&& o) noexcept { *this = std::move(o); }
  lease& operator=(lease&& o) noexcept;
  ~lease() { release(); }

  explicit operator bool() const { return c_ != nullptr; }
  void release();

 private:
  usage_counters* c_ = nullptr;
  api api_ = api::stt;
  std::string key_;
};

class usage_counters {
 public:
  // A real provider's count lags behind its sockets: a closed stream still counts
  // against the limit for `lag` (0 = frees at once, the default).
  void set_release_lag(std::chrono::milliseconds lag) { lag_ = lag; }
  // A lease for a new stream of `key`, or an empty lease (and refused+1) when the key
  // already holds `limit` streams. limit 0 = unlimited.
  lease acquire(api a, const std::string& key, unsigned limit);
  // The admission check of acquire() alone (counts the refusal); for WebSocket upgrades,
  // which are checked before the handshake and acquired once it is done.
  bool admit(api a, const std::string& key, unsigned limit);
  uint64_t current(api a, const std::string& key) const;
  // Zeroes refused/total and sets peak to current (0 when nothing is open).
  void reset();
  // {"stt":{"<key>":{"current":..,"peak":..,"refused":..,"total":..}},"llm":{..},
  //  "tts_elevenlabs":{..},"tts_deepgram":{..}}
  nlohmann::ordered_json to_json() const;

 private:
  friend class lease;
  void release(api a, const std::string& key);
  // Frees the lingering slots whose lag is over.
  void settle(usage& u) const;

  std::chrono::milliseconds lag_{0};
  mutable std::array<std::map<std::string, usage>, 4> by_api_;
};

} // namespace sb::sim
