// Counters of the network edge, owned by one object and readable from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace sb::net {

struct net_probe {
  std::atomic<uint64_t> sessions_accepted{0};
  std::atomic<uint64_t> upgrades_refused{0};
  std::atomic<uint64_t> frames_in{0};
  std::atomic<uint64_t> frames_out{0};
  std::atomic<uint64_t> protocol_errors{0};   // caller sent something we closed on
  std::atomic<uint64_t> provider_streams{0};  // opened
  std::atomic<uint64_t> provider_failures{0};
  std::atomic<uint64_t> stt_audio_dropped{0}; // bytes dropped while STT was connecting
  std::atomic<uint64_t> stt_reconnects{0};    // STT streams reopened after a loss
  std::atomic<uint64_t> unknown_events{0};    // caller events of a type we do not know
};

} // namespace sb::net
