// The caller's audio kept while a call waits for its speech-to-text stream (the STT pool's
// queue, a connect, a reconnect). Speech is always kept; a silence longer than
// `max_silence` is shortened to that length (the provider still sees every pause it needs
// to end an utterance, only the dead air in between goes). The whole backlog is bounded by
// `max_audio`: past it the oldest audio goes, and what went is counted. Pure code, no
// actor: the call actor owns one.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

#include "messages/audio.hpp"

namespace sb {

class audio_backlog {
public:
  using millis = std::chrono::milliseconds;

  struct limits {
    millis max_audio{60000};    // most audio kept (speech plus the silences kept)
    millis max_silence{1500};   // longest run of silence kept
    double speech_rms = 200.0;  // 16-bit RMS of a frame from which it counts as speech
    millis hangover{300};       // silence right after speech still counts as speech
  };

  audio_backlog(audio_encoding enc, limits l) : enc_(enc), limits_(l) {}

  // Adds one frame of caller audio.
  void push(audio_bytes frame);
  // Everything kept, oldest first; the backlog is empty afterwards (its counters stay).
  std::deque<audio_bytes> take();

  bool empty() const { return frames_.empty(); }
  size_t bytes() const { return bytes_; }
  millis kept() const { return to_ms(bytes_); }
  // Silence left out (never speech).
  millis trimmed() const { return to_ms(trimmed_bytes_); }
  // Audio that went because the backlog was full, oldest first; speech_dropped() of it
  // was speech.
  millis dropped() const { return to_ms(dropped_bytes_); }
  millis speech_dropped() const { return to_ms(dropped_speech_bytes_); }
  size_t dropped_bytes() const { return dropped_bytes_; }

  // 16-bit RMS of one frame in either encoding.
  static double level(const audio_bytes& frame, audio_encoding enc);

private:
  struct entry {
    audio_bytes audio;
    bool speech = false;
  };
  millis to_ms(size_t bytes) const {
    return millis{static_cast<int64_t>(bytes / bytes_per_ms(enc_))};
  }
  size_t to_bytes(millis ms) const {
    return static_cast<size_t>(ms.count()) * bytes_per_ms(enc_);
  }

  audio_encoding enc_;
  limits limits_;
  std::deque<entry> frames_;
  size_t bytes_ = 0;
  size_t silence_run_bytes_ = 0;  // silence since the last speech frame
  bool heard_speech_ = false;
  size_t trimmed_bytes_ = 0;
  size_t dropped_bytes_ = 0;
  size_t dropped_speech_bytes_ = 0;
};

} // namespace sb
