// Counters of the network edge, owned by one object and readable from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

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
  std::atomic<uint64_t> http_requests{0};     // LLM and TTS requests sent
  std::atomic<uint64_t> http_reused{0};       // of which on a kept-alive connection
  std::atomic<uint64_t> http_retried{0};      // resent: a kept-alive connection had closed

  // Admission: refusals by reason (sb::admission::refusal order: draining, capacity,
  // calls_per_minute, per_ip_per_minute, per_agent_per_minute, pending_per_ip,
  // pending_max), at the upgrade or at start.
  static constexpr size_t refusal_kinds = 7;
  std::atomic<uint64_t> refused[refusal_kinds]{};
  // Connections the edge closed to protect itself.
  std::atomic<uint64_t> closed_no_start{0};       // no start within call.start_timeout
  std::atomic<uint64_t> closed_message_size{0};   // over admission.max_message_bytes
  std::atomic<uint64_t> closed_frame_rate{0};     // over admission.max_frames_per_second
  std::atomic<uint64_t> closed_slow_reader{0};    // over admission.max_send_buffer_bytes
  std::atomic<uint64_t> send_buffer_peak{0};      // most bytes queued for one caller
  std::atomic<uint64_t> pending{0};               // connections without start now

  // Authentication: refusals by reason (sb::admission::auth_refusal order:
  // token_missing, token_invalid, signature_missing, signature_invalid, basic_missing,
  // basic_invalid, http_token_missing, http_token_invalid).
  static constexpr size_t auth_refusal_kinds = 8;
  std::atomic<uint64_t> auth_refused[auth_refusal_kinds]{};
  // The STT provider's latency: audio sent -> the final transcript that ends with it.
  // Set by the owner before the loop starts (may be empty); called on the I/O thread.
  std::function<void(std::chrono::microseconds)> stt_latency;
};

} // namespace sb::net
