#include "actors/audio/backlog.hpp"

#include <cmath>

namespace sb {

namespace {

// G.711 mu-law expansion (ITU-T G.711): sign, 3-bit segment, 4-bit step.
int mulaw_sample(uint8_t code) {
  int u = ~code & 0xFF;
  int magnitude = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07);
  return (u & 0x80) ? 0x84 - magnitude : magnitude - 0x84;
}

} // namespace

double audio_backlog::level(const audio_bytes& frame, audio_encoding enc) {
  double energy = 0;
  size_t samples = 0;
  if (enc == audio_encoding::mulaw) {
    for (uint8_t b : frame) {
      double v = mulaw_sample(b);
      energy += v * v;
    }
    samples = frame.size();
  } else {
    for (size_t i = 0; i + 1 < frame.size(); i += 2) {
      double v = static_cast<int16_t>(frame[i] | (frame[i + 1] << 8));
      energy += v * v;
    }
    samples = frame.size() / 2;
  }
  return samples == 0 ? 0.0 : std::sqrt(energy / static_cast<double>(samples));
}

void audio_backlog::push(audio_bytes frame) {
  if (frame.empty())
    return;
  auto n = frame.size();
  bool loud = level(frame, enc_) >= limits_.speech_rms;
  if (loud) {
    heard_speech_ = true;
    silence_run_bytes_ = 0;
  } else {
    silence_run_bytes_ += n;
  }
  // The hangover keeps the soft end of a word with its speech.
  bool speech = loud || (heard_speech_ && silence_run_bytes_ <= to_bytes(limits_.hangover));
  if (!speech && silence_run_bytes_ > to_bytes(limits_.max_silence)) {
    trimmed_bytes_ += n;
    return;
  }
  bytes_ += n;
  frames_.push_back({std::move(frame), speech});
  auto cap = to_bytes(limits_.max_audio);
  while (bytes_ > cap && !frames_.empty()) {
    auto& f = frames_.front();
    bytes_ -= f.audio.size();
    dropped_bytes_ += f.audio.size();
    if (f.speech)
      dropped_speech_bytes_ += f.audio.size();
    frames_.pop_front();
  }
}

std::deque<audio_bytes> audio_backlog::take() {
  std::deque<audio_bytes> out;
  for (auto& f : frames_)
    out.push_back(std::move(f.audio));
  frames_.clear();
  bytes_ = 0;
  return out;
}

} // namespace sb
