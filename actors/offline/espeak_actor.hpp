// The node's one espeak-ng synthesiser (the library is process-global and not
// thread-safe: two threads in it crash). Detached. Each offline_tts_request becomes
// mu-law 8 kHz audio for the phone line (22,050 Hz -> 8,000 Hz through soxr's high
// quality filter), sent to its owner as tts_audio pieces and tts_done. A stream cancelled
// before or while it is spoken ends with provider_closed instead (tts_ledger).
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

#include <caf/fwd.hpp>

#include "messages/provider_events.hpp"
#include "net/speech/espeak_engine.hpp"

namespace sb {

// The TTS streams handed to the synthesiser and not yet ended, and which of them were
// cancelled. Thread-safe: the provider port cancels, the synthesiser ends them.
class tts_ledger {
public:
  void begin(stream_id id);
  // True if the stream was live (its end will be provider_closed).
  bool cancel(stream_id id);
  bool cancelled(stream_id id) const;
  // Removes it; returns whether it had been cancelled.
  bool end(stream_id id);

private:
  mutable std::mutex m_;
  std::unordered_map<stream_id, bool> live_;  // id -> cancelled
};

caf::actor spawn_espeak(caf::actor_system& sys, std::unique_ptr<speech::espeak_engine> engine,
                        std::shared_ptr<tts_ledger> ledger);

} // namespace sb
