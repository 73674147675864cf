// Simulated Deepgram live transcription stream (protocols.md section 3), free of lws:
// audio and control frames go in, timed text frames and a close come out.
// Speech timing is audio time (20 ms per block received), so results are deterministic;
// only the final-result latency and the idle timeout use the wall clock.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "messages/audio.hpp"
#include "tools/provider_sim/faults.hpp"
#include "tools/provider_sim/http_types.hpp"
#include "tools/provider_sim/stt_messages.hpp"

namespace sb::sim {

struct stt_options {
  audio_encoding encoding = audio_encoding::mulaw;
  unsigned sample_rate = 8000;
  bool interim_results = false;
  int endpointing_ms = 10;       // < 0: endpointing=false
  unsigned utterance_end_ms = 0; // 0: off (needs interim_results)
  bool vad_events = false;
  std::string model = "nova-3";
};

// The options of a /v1/listen query, or nullopt and `error` for one Deepgram rejects.
std::optional<stt_options> parse_stt_options(const query_map& q, std::string& error);

struct stt_timing {
  double vad_threshold = 500;
  int64_t final_latency_us = 0;
  int64_t idle_timeout_us = 10'000'000;
};

struct ws_message {
  int64_t due_us = 0;
  std::string text;
  uint16_t close_code = 0; // nonzero: close the socket with this code and reason
  std::string close_reason;
  bool binary = false;      // `text` holds audio bytes for a binary frame
};

class stt_stream {
 public:
  stt_stream(stt_options opts, stt_timing timing, std::string request_id,
             fault_mode fault, int64_t now);
  ~stt_stream();
  stt_stream(const stt_stream&) = delete;
  stt_stream& operator=(const stt_stream&) = delete;

  void on_audio(const uint8_t* data, size_t n, int64_t now);
  void on_text(std::string_view text, int64_t now);
  void on_tick(int64_t now);  // idle timeout
  void shutdown(int64_t now); // server stopping: close with 1001
  void drop(int64_t now);     // a failure on the provider's side: close with 1011 at once

  bool has_due(int64_t now) const { return !out_.empty() && out_.front().due_us <= now; }
  ws_message pop();

 private:
  void process_block(const uint8_t* block, int64_t now);
  void flush(bool from_finalize, int64_t now);
  void close_stream(int64_t now);
  void emit_final(bool speech_final, bool from_finalize, int64_t due);
  void emit_interim(int64_t now);
  std::vector<stt_word> words(size_t count, int64_t from_ms, int64_t to_ms) const;
  void push(int64_t due, std::string text);
  void push_close(int64_t due, uint16_t code, std::string reason);

  stt_options opts_;
  stt_timing timing_;
  std::string request_id_;
  stt_model model_;
  bool hang_ = false;
  bool closing_ = false;
  size_t block_bytes_;
  std::string partial_; // bytes of an incomplete 20 ms block
  struct digest;
  std::unique_ptr<digest> sha_;

  int64_t audio_ms_ = 0;         // audio received so far
  int64_t segment_start_ms_ = 0; // start of the audio not yet covered by a final
  bool in_utterance_ = false;
  bool utterance_end_armed_ = false; // speech since the last UtteranceEnd
  int64_t speech_start_ms_ = 0;
  int64_t last_speech_end_ms_ = 0;
  int64_t speech_since_interim_ms_ = 0;
  unsigned interims_ = 0;
  unsigned utterances_ = 0;

  bool got_audio_ = false;
  int64_t last_activity_us_;
  std::deque<ws_message> out_;
};

} // namespace sb::sim
