#include "net/speech/resampler.hpp"

#include <soxr.h>

namespace sb::speech {

resampler::resampler(double in_rate, double out_rate, quality q) : ratio_(out_rate / in_rate) {
  soxr_error_t err = nullptr;
  auto io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
  // soxr dithers 16-bit output by default (TPDF noise seeded from the clock and an
  // address): the same audio came out different in every run, and the recogniser heard
  // a marginal answer one way or the other. Without it the output is a function of the
  // input.
  io.flags |= SOXR_NO_DITHER;
  auto qs = soxr_quality_spec(q == quality::high ? SOXR_HQ : SOXR_QQ, 0);
  soxr_ = soxr_create(in_rate, out_rate, 1, &err, &io, &qs, nullptr);
  if (err) {
    error_ = err;
    soxr_ = nullptr;
  }
}

resampler::~resampler() {
  if (soxr_)
    soxr_delete(soxr_);
}

std::vector<int16_t> resampler::process(const int16_t* in, size_t n) {
  std::vector<int16_t> out;
  if (!soxr_ || n == 0)
    return out;
  out.resize(static_cast<size_t>(static_cast<double>(n) * ratio_) + 64);
  size_t done_in = 0, done_out = 0;
  soxr_process(soxr_, in, n, &done_in, out.data(), out.size(), &done_out);
  out.resize(done_out);
  return out;
}

std::vector<int16_t> resampler::flush() {
  std::vector<int16_t> out;
  if (!soxr_)
    return out;
  std::vector<int16_t> buf(4096);
  for (;;) {
    size_t done_out = 0;
    soxr_process(soxr_, nullptr, 0, nullptr, buf.data(), buf.size(), &done_out);
    if (done_out == 0)
      break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(done_out));
  }
  return out;
}

} // namespace sb::speech
