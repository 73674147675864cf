// Sample-rate conversion of 16-bit mono PCM with soxr (streamed: keeps its filter state
// between calls). Used by the offline speech engines: 8 -> 16 kHz for the recogniser,
// 22,050 -> 8,000 Hz for the synthesiser's output. No dither: the same input gives the same
// output, every run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct soxr;

namespace sb::speech {

class resampler {
public:
  enum class quality { quick, high };
  resampler(double in_rate, double out_rate, quality q);
  ~resampler();
  resampler(const resampler&) = delete;
  resampler& operator=(const resampler&) = delete;

  bool ok() const { return soxr_ != nullptr; }
  const std::string& error() const { return error_; }
  // Converts the next piece of the stream; the output lags by the filter's delay.
  std::vector<int16_t> process(const int16_t* in, size_t n);
  // The end of the stream: what the filter still holds.
  std::vector<int16_t> flush();

private:
  soxr* soxr_ = nullptr;
  double ratio_ = 1;
  std::string error_;
};

} // namespace sb::speech
