#include "tools/provider_sim/tone.hpp"

#include <algorithm>
#include <cmath>

#include "net/codec/audio_codec.hpp"

namespace sb::sim {

namespace {

constexpr double tone_hz = 440.0;
constexpr double amplitude = 8000.0;
constexpr size_t wav_header_size = 44;

int16_t sample_at(uint64_t n, unsigned rate) {
  double phase = 2.0 * M_PI * tone_hz * double(n % rate) / double(rate);
  return static_cast<int16_t>(std::lround(amplitude * std::sin(phase)));
}

void put_le(std::string& s, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

unsigned bytes_per_sample(tone_format f) {
  return f == tone_format::mulaw ? 1 : 2;
}

} // namespace

tone_stream::tone_stream(const tone_spec& spec)
    : spec_(spec), total_samples_(spec.total_ms * spec.sample_rate / 1000),
      chunk_samples_(
          std::max<uint64_t>(1, uint64_t(spec.chunk_ms) * spec.sample_rate / 1000)) {
  header_sent_ = !spec.wav_header;
}

int64_t tone_stream::next_due() const {
  return (next_sample_ < total_samples_ || !header_sent_) ? spec_.first_due_us : never;
}

uint64_t tone_stream::total_size() const {
  return total_samples_ * bytes_per_sample(spec_.format) +
         (spec_.wav_header ? wav_header_size : 0);
}

std::string tone_stream::take() {
  std::string out;
  if (!header_sent_) {
    out = header();
    header_sent_ = true;
  }
  uint64_t n = std::min(chunk_samples_, total_samples_ - next_sample_);
  out.reserve(out.size() + n * bytes_per_sample(spec_.format));
  for (uint64_t i = 0; i < n; ++i) {
    int16_t v = sample_at(next_sample_ + i, spec_.sample_rate);
    if (spec_.format == tone_format::mulaw)
      out.push_back(static_cast<char>(codec::linear_to_mulaw(v)));
    else
      put_le(out, static_cast<uint16_t>(v), 2);
  }
  next_sample_ += n;
  return out;
}

std::string tone_stream::header() const {
  unsigned bps = bytes_per_sample(spec_.format);
  auto data = uint32_t(total_samples_ * bps);
  std::string h = "RIFF";
  put_le(h, 36 + data, 4);
  h += "WAVEfmt ";
  put_le(h, 16, 4);
  put_le(h, spec_.format == tone_format::mulaw ? 7 : 1, 2); // 7 = mu-law, 1 = PCM
  put_le(h, 1, 2);                                          // mono
  put_le(h, spec_.sample_rate, 4);
  put_le(h, spec_.sample_rate * bps, 4);
  put_le(h, bps, 2);
  put_le(h, bps * 8, 2);
  h += "data";
  put_le(h, data, 4);
  return h;
}

size_t utf8_length(const std::string& text) {
  return size_t(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

} // namespace sb::sim
