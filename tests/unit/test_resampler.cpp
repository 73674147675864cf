// The offline speech path's sample-rate conversion is a function of its input: the same
// audio resampled twice (two streams, in any pieces) gives the same samples. soxr's
// default dither made every run different, and the recogniser heard a marginal answer
// differently from run to run.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "net/speech/resampler.hpp"

using sb::speech::resampler;

namespace {

// A second of a vowel-like sound: a 140 Hz buzz with a few harmonics, at `rate`.
std::vector<int16_t> buzz(int rate) {
  std::vector<int16_t> pcm(static_cast<size_t>(rate));
  for (size_t i = 0; i < pcm.size(); ++i) {
    double t = static_cast<double>(i) / rate, v = 0;
    for (int h = 1; h <= 6; ++h)
      v += std::sin(2 * M_PI * 140.0 * h * t) / h;
    pcm[i] = static_cast<int16_t>(4000 * v);
  }
  return pcm;
}

// Through one stream in pieces of `piece` samples, then its flush.
std::vector<int16_t> convert(const std::vector<int16_t>& in, double from, double to,
                             resampler::quality q, size_t piece) {
  resampler r(from, to, q);
  REQUIRE(r.ok());
  std::vector<int16_t> out;
  for (size_t at = 0; at < in.size(); at += piece) {
    auto part = r.process(in.data() + at, std::min(piece, in.size() - at));
    out.insert(out.end(), part.begin(), part.end());
  }
  auto rest = r.flush();
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

} // namespace

TEST_CASE("resampler: the same audio comes out the same, sample for sample") {
  auto phone = buzz(8000);
  // The recogniser's 8 -> 16 kHz, a 20 ms frame at a time, as a call's audio arrives.
  auto a = convert(phone, 8000, 16000, resampler::quality::quick, 160);
  auto b = convert(phone, 8000, 16000, resampler::quality::quick, 160);
  CHECK(a.size() == 16000);
  CHECK(a == b);
  // The pieces do not matter either.
  CHECK(convert(phone, 8000, 16000, resampler::quality::quick, 1000) == a);
  // The synthesiser's 22,050 -> 8,000 Hz.
  auto voice = buzz(22050);
  auto c = convert(voice, 22050, 8000, resampler::quality::high, 22050);
  CHECK(c.size() == 8000);
  CHECK(c == convert(voice, 22050, 8000, resampler::quality::high, 22050));
  CHECK(c == convert(voice, 22050, 8000, resampler::quality::high, 441));
}

TEST_CASE("resampler: quiet input stays quiet (no added noise)") {
  // Line silence a few steps from zero: dither would add noise of about one step.
  std::vector<int16_t> hush(8000, 0);
  auto up = convert(hush, 8000, 16000, resampler::quality::quick, 160);
  for (auto s : up)
    REQUIRE(s == 0);
}
