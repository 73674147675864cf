// Typed events from provider wire clients (net/) to the call actor that owns the stream.
// Every event carries the stream id the call got when it opened the stream, so events of
// a cancelled stream that arrive late are recognised and dropped.
#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "messages/audio.hpp"

namespace sb {

using stream_id = uint64_t;

enum class provider_kind : uint8_t { stt = 0, llm = 1, tts = 2 };

inline const char* to_string(provider_kind k) {
  switch (k) {
    case provider_kind::stt: return "stt";
    case provider_kind::llm: return "llm";
    default: return "tts";
  }
}

// Why a provider stream failed. A 429 is its own kind: a rate signal, not a fault.
enum class failure_kind : uint8_t {
  connect_failed = 0,  // DNS, TCP, TLS or handshake failure without an HTTP status
  http_status = 1,     // non-2xx (or non-101) answer other than 429
  rate_limited = 2,    // 429
  closed = 3,          // the provider closed the stream unexpectedly (close code set)
  timeout = 4,         // no answer / no progress within the configured time
  malformed = 5,       // a reply we could not parse
  rejected = 6,        // refused locally before any connection (no key, bad config)
};

inline const char* to_string(failure_kind k) {
  switch (k) {
    case failure_kind::connect_failed: return "connect_failed";
    case failure_kind::http_status: return "http_status";
    case failure_kind::rate_limited: return "rate_limited";
    case failure_kind::closed: return "closed";
    case failure_kind::timeout: return "timeout";
    case failure_kind::malformed: return "malformed";
    default: return "rejected";
  }
}

struct provider_opened {
  stream_id id = 0;
};

struct provider_failure {
  stream_id id = 0;
  provider_kind provider = provider_kind::stt;
  failure_kind kind = failure_kind::connect_failed;
  int32_t http_status = 0;      // HTTP status or WebSocket close code, 0 if none
  int64_t retry_after_ms = -1;  // from retry-after / retry-after-ms, -1 if absent
  std::string detail;           // provider's error code/message, for logs
};

// Speech-to-text (Deepgram live).
struct stt_transcript {
  stream_id id = 0;
  std::string text;
  bool is_final = false;
  bool speech_final = false;
  double confidence = 0;
  double end_s = 0;  // end of the audio it covers, s from the stream's start (0: unknown)
};
struct stt_speech_started {
  stream_id id = 0;
};
struct stt_utterance_end {
  stream_id id = 0;
};
// The stream ended normally (after CloseStream).
struct provider_closed {
  stream_id id = 0;
  int32_t code = 1000;
};

// LLM (OpenAI-compatible chat completions, streamed).
struct llm_token {
  stream_id id = 0;
  std::string text;
};
struct llm_done {
  stream_id id = 0;
  std::string finish_reason;
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
};

// TTS (ElevenLabs / Deepgram Aura); audio is always mu-law 8 kHz.
struct tts_audio {
  stream_id id = 0;
  audio_bytes audio;
};
struct tts_done {
  stream_id id = 0;
};

#define SB_INSPECT(type, ...)                                                    \
  template <class Inspector>                                                     \
  typename Inspector::result_type inspect(Inspector& f, type& x) {               \
    return f(caf::meta::type_name(#type), __VA_ARGS__);                          \
  }

SB_INSPECT(provider_opened, x.id)
SB_INSPECT(provider_failure, x.id, x.provider, x.kind, x.http_status, x.retry_after_ms,
           x.detail)
SB_INSPECT(stt_transcript, x.id, x.text, x.is_final, x.speech_final, x.confidence,
           x.end_s)
SB_INSPECT(stt_speech_started, x.id)
SB_INSPECT(stt_utterance_end, x.id)
SB_INSPECT(provider_closed, x.id, x.code)
SB_INSPECT(llm_token, x.id, x.text)
SB_INSPECT(llm_done, x.id, x.finish_reason, x.prompt_tokens, x.completion_tokens)
SB_INSPECT(tts_audio, x.id, x.audio)
SB_INSPECT(tts_done, x.id)

#undef SB_INSPECT

} // namespace sb
