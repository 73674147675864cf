// What every protocol handler needs: settings, counters, faults, ids and the clock.
// Owned by the server; handlers get it by reference (lws thread only).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>

#include "tools/provider_sim/config.hpp"
#include "tools/provider_sim/faults.hpp"
#include "tools/provider_sim/limits.hpp"

namespace sb::sim {

// Monotonic microseconds; all due times in the simulator use this clock.
inline int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

inline int64_t ms_to_us(unsigned ms) {
  return int64_t(ms) * 1000;
}

// Deterministic uuid-shaped ids: the n-th id of a run is always the same.
class id_source {
 public:
  std::string next_uuid() {
    char b[40];
    std::snprintf(b, sizeof b, "5b0c0000-0000-4000-8000-%012llx",
                  static_cast<unsigned long long>(++n_));
    return b;
  }
  uint64_t next_number() { return ++n_; }

 private:
  uint64_t n_ = 0;
};

struct sim_services {
  sim_config cfg;
  usage_counters counters;
  fault_table faults;
  id_source ids;
  bool drop_stt = false;  // POST /sim/stt/drop: cut every open STT stream (1011) next tick
  // Provider API requests over HTTP (every path but /sim/...), and the TCP connections
  // they came on: fewer connections than requests means clients kept connections alive.
  uint64_t http_requests = 0;
  uint64_t http_connections = 0;
  // Binary (audio) messages and their bytes over every STT stream: how the client batches.
  uint64_t stt_audio_messages = 0;
  uint64_t stt_audio_bytes = 0;
  // The conversations the LLM was asked to answer (each request's `messages` as JSON
  // text), newest last, at most `llm_requests_kept`: GET /sim/llm/requests.
  std::deque<std::string> llm_requests;
  static constexpr size_t llm_requests_kept = 256;
};

} // namespace sb::sim
