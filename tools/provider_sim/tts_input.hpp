// Simulated TTS WebSockets, free of lws: the client's JSON text messages go in, timed
// audio and events and a close come out. Every piece of text is synthesised at once; its
// audio, a tone as long as the text at --tts-ms-per-char, comes --tts-first-byte after it,
// behind the audio of earlier text.
// - ElevenLabs stream-input (protocols.md section 5): {"text":..} in; {"audio":base64}
//   out; {"text":""} ends it with {"isFinal":true} and a close.
// - Deepgram Aura /v1/speak: {"type":"Speak","text":..} in, binary audio frames out;
//   {"type":"Flush"} is answered by {"type":"Flushed"} after the audio before it;
//   {"type":"Clear"} drops audio not yet sent; {"type":"Close"} closes (1000).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tools/provider_sim/stt_deepgram.hpp"  // ws_message
#include "tools/provider_sim/tone.hpp"

namespace sb::sim {

struct tts_input_timing {
  unsigned ms_per_char = 60;
  unsigned chunk_ms = 100;
  int64_t first_byte_us = 0;
  int64_t inactivity_us = 20'000'000;  // ElevenLabs' default inactivity_timeout
};

class tts_input_stream {
 public:
  tts_input_stream(bool deepgram, tone_format format, tts_input_timing timing, int64_t now);

  void on_text(std::string_view message, int64_t now);
  void on_tick(int64_t now);  // inactivity timeout
  void shutdown(int64_t now); // server stopping: close with 1001

  bool has_due(int64_t now) const { return !out_.empty() && out_.front().due_us <= now; }
  ws_message pop();
  uint64_t characters() const { return characters_; }

 private:
  void push(int64_t due, std::string text, bool binary = false);
  void close_with(int64_t due, uint16_t code, std::string reason);
  void synthesise(const std::string& text, int64_t now);
  void on_deepgram(const std::string& type, const nlohmann::json& j, int64_t now);

  bool deepgram_;
  tone_format format_;
  uint64_t flushes_ = 0;
  tts_input_timing timing_;
  std::deque<ws_message> out_;
  int64_t audio_until_ = 0;  // due time of the last audio queued
  int64_t last_input_ = 0;
  uint64_t characters_ = 0;
  bool closing_ = false;
};

} // namespace sb::sim
