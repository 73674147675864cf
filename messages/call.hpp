// The call actor's settings and the probe it reports to. The call actor's inputs are the
// telephony events (telephony.hpp) and provider events (provider_events.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "messages/pool.hpp"
#include "messages/provider_events.hpp"

namespace sb {

enum class call_state : uint8_t { starting, listening, thinking, responding, ended };

inline const char* to_string(call_state s) {
  switch (s) {
    case call_state::starting: return "STARTING";
    case call_state::listening: return "LISTENING";
    case call_state::thinking: return "THINKING";
    case call_state::responding: return "RESPONDING";
    default: return "ENDED";
  }
}

// What a call does when a pool cannot give it a lease in time (queue full, deadline
// passed, breaker open).
enum class exhausted_action : uint8_t {
  wait = 0,  // ask again (STT); say the apology (LLM); skip the sentence (TTS)
  hold = 1,  // as wait, and play a short hold tone to the caller while waiting
  end = 2,   // end the call politely: close 4503 ("try again later", like HTTP 503) with the reason
};

inline const char* to_string(exhausted_action a) {
  switch (a) {
    case exhausted_action::wait: return "wait";
    case exhausted_action::hold: return "hold";
    default: return "end";
  }
}

// One provider's pool as a call uses it. An invalid handle means no pool: leases are
// granted at once on key 0.
struct call_pool {
  pool_actor pool;
  std::chrono::milliseconds deadline{5000};  // longest wait for a lease
  exhausted_action on_exhausted = exhausted_action::wait;
};

struct call_settings {
  std::string system_prompt;
  uint32_t max_history = 20;
  std::string greeting;
  std::string goodbye;  // spoken before the node ends the call at shutdown; empty = none
  // Barge-in on the provider's voice activity event (SpeechStarted) while the reply
  // plays, instead of on the first transcribed words.
  bool barge_in_on_vad = false;
  std::chrono::milliseconds max_duration{3600000};
  std::chrono::milliseconds start_timeout{10000};  // connected -> start
  // Said when the LLM fails, so the caller is never left in silence.
  std::string apology = "Sorry, I could not answer that just now. Could you say it again?";
  uint32_t max_tokens = 200;  // for the LLM pool's token estimate
  // Caller audio kept while waiting for STT: at most stt_buffer of it, every silence
  // longer than stt_buffer_silence shortened to that (speech is never trimmed).
  std::chrono::milliseconds stt_buffer{60000};
  std::chrono::milliseconds stt_buffer_silence{1500};
  // mu-law, played each time a `hold` call asks STT again; one copy shared by every call
  std::shared_ptr<const audio_bytes> hold_audio;
  call_pool stt;
  call_pool llm;
  call_pool tts;
  // The stage's second provider ([stt|tts] fallback), with its own pool: used when `stt`
  // or `tts` has no lease in time or its breaker is open, and for a sentence whose TTS
  // request failed before any of its audio came.
  // [tts] transport = websocket: one TTS stream per reply takes its sentences as they
  // come, instead of a request per sentence.
  bool tts_streaming = false;
  std::optional<call_pool> stt_fallback;
  std::optional<call_pool> tts_fallback;
};

// Why a call ended, for logs and counters.
enum class call_end : uint8_t {
  caller_stop = 0,      // stop event
  caller_hangup = 1,    // socket closed without stop
  protocol_error = 2,   // the caller sent something we could not accept
  no_start = 3,         // no start event in time
  stt_failed = 4,       // no speech-to-text: the call cannot go on
  max_duration = 5,
  shutdown = 6,
  capacity = 7,         // a provider pool had no room and the policy is `end`
  completed = 8,        // the scripted dialog hung up after its last prompt
  handoff = 9,          // the scripted dialog handed the call on (the stream ends)
};

inline const char* to_string(call_end e) {
  switch (e) {
    case call_end::caller_stop: return "caller_stop";
    case call_end::caller_hangup: return "caller_hangup";
    case call_end::protocol_error: return "protocol_error";
    case call_end::no_start: return "no_start";
    case call_end::stt_failed: return "stt_failed";
    case call_end::max_duration: return "max_duration";
    case call_end::capacity: return "capacity";
    case call_end::completed: return "completed";
    case call_end::handoff: return "handoff";
    default: return "shutdown";
  }
}

// The stage of a provider request a latency is measured to (provider_latency).
enum class provider_stage : uint8_t {
  transcript = 0,        // STT: audio sent -> the final transcript that ends with it
  first_token = 1,       // LLM: request -> first streamed token
  first_audio_byte = 2,  // TTS: request -> first audio
};

inline const char* to_string(provider_stage s) {
  switch (s) {
    case provider_stage::transcript: return "transcript";
    case provider_stage::first_token: return "first_token";
    default: return "first_audio_byte";
  }
}

// What a call reports as it goes. Implemented by runtime/ (metrics); thread-safe.
class call_probe {
public:
  virtual ~call_probe() = default;
  virtual void call_started() = 0;
  virtual void call_ended(call_end why) = 0;
  // End of caller speech (final transcript) -> first reply audio handed to the edge.
  virtual void turn_latency(std::chrono::microseconds latency) = 0;
  virtual void barge_in() = 0;
  virtual void provider_failed(provider_kind p, failure_kind k) = 0;
  // A pool had no lease in time and the call fell back (wait, hold, end).
  virtual void fallback(provider_kind p, exhausted_action a) = 0;
  // Caller audio dropped from the backlog kept while waiting for STT (oldest first,
  // only when the backlog is full).
  virtual void stt_backlog_dropped(size_t bytes) = 0;
  // Silence left out of that backlog (long pauses shortened; never speech).
  virtual void stt_backlog_trimmed(std::chrono::milliseconds silence) = 0;
  // A stage went to its fallback provider; reason: "no_lease" (the first provider's pool
  // had none in time, or its breaker is open) or "failed" (its request failed).
  virtual void failover(provider_kind p, const char* reason) = 0;
  // The call lasted this long (start event to its end); reported once, after call_ended.
  virtual void call_duration(std::chrono::microseconds) {}
  // A provider request reached `stage` this long after it was sent.
  virtual void provider_latency(provider_kind, provider_stage, std::chrono::microseconds) {}
  // The call went on from its snapshot (its stream came back with the same call sid).
  virtual void call_resumed() {}
};

} // namespace sb
