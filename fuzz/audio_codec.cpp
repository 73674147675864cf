// base64 and G.711 mu-law (net/codec/audio_codec). The input is tried as base64 text and
// used as audio bytes.
// - base64_decode accepts only canonical base64, so what it accepts encodes back to the
//   same text; whatever base64_encode writes decodes back to the bytes.
// - mu-law -> PCM16 -> mu-law gives the same codes (0x7F, "negative zero", comes back as
//   0xFF); PCM16 -> mu-law -> PCM16 stays within the quantisation step of the sample.
// - rms is finite and within the 16-bit range.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "fuzz/check.hpp"
#include "net/codec/audio_codec.hpp"

using namespace sb;
using namespace sb::codec;
using sb::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto bytes = base64_decode(text)) {
    check(bytes->size() <= size / 4 * 3, "decoded more bytes than the text holds");
    check(base64_encode(bytes->data(), bytes->size()) == text,
          "accepted base64 that is not canonical");
  }
  auto b64 = base64_encode(data, size);
  check(b64.size() == 4 * ((size + 2) / 3), "base64 of the wrong length");
  auto back = base64_decode(b64);
  check(back && *back == audio_bytes(data, data + size), "base64 round trip");

  auto pcm = mulaw_to_pcm16le(data, size);
  check(pcm.size() == 2 * size, "PCM16 of the wrong length");
  auto mulaw = pcm16le_to_mulaw(pcm.data(), pcm.size());
  check(mulaw.size() == size, "mu-law of the wrong length");
  for (size_t i = 0; i < size; ++i)
    check(mulaw[i] == data[i] || (data[i] == 0x7F && mulaw[i] == 0xFF),
          "mu-law -> PCM16 -> mu-law changed a code");

  // The input as PCM16: each sample comes back within its mu-law step, at most 1/16 of
  // its magnitude plus 8 (checked for all 65536 samples); beyond 32000 it clips.
  auto codes = pcm16le_to_mulaw(data, size);
  check(codes.size() == size / 2, "mu-law of the wrong length (odd PCM)");
  for (size_t i = 0; i < codes.size(); ++i) {
    int v = static_cast<int16_t>(data[2 * i] | (data[2 * i + 1] << 8));
    int w = mulaw_to_linear(codes[i]);
    int err = std::abs(v - w);
    check(err <= std::abs(v) / 16 + 8 || std::abs(v) > 32000,
          "PCM16 -> mu-law -> PCM16 is off by more than a step");
  }

  for (auto enc : {audio_encoding::mulaw, audio_encoding::pcm16le}) {
    double r = rms(data, size, enc);
    check(std::isfinite(r) && r >= 0 && r <= 32768.0, "rms out of range");
  }
  return 0;
}
