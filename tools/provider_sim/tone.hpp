// Synthetic TTS audio: a 440 Hz tone (amplitude 8000) produced lazily, chunk by chunk,
// so thousands of concurrent TTS responses cost no buffered audio.
#pragma once

#include <cstdint>
#include <string>

#include "tools/provider_sim/http_types.hpp"

namespace sb::sim {

enum class tone_format : uint8_t { mulaw, pcm16le };

struct tone_spec {
  tone_format format = tone_format::mulaw;
  unsigned sample_rate = 8000;
  uint64_t total_ms = 0;
  unsigned chunk_ms = 100;
  int64_t first_due_us = 0; // first chunk; the rest follow at once
  bool wav_header = false;  // prepend a RIFF/WAVE header (Deepgram container=wav)
};

class tone_stream final : public body_stream {
 public:
  explicit tone_stream(const tone_spec& spec);
  int64_t next_due() const override;
  std::string take() override;
  uint64_t total_size() const override;

 private:
  std::string header() const;

  tone_spec spec_;
  uint64_t total_samples_;
  uint64_t chunk_samples_;
  uint64_t next_sample_ = 0;
  bool header_sent_ = false;
};

// Number of code points in UTF-8 text (what the providers bill as characters).
size_t utf8_length(const std::string& text);

} // namespace sb::sim
