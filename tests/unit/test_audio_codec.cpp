#include <cstdlib>

#include <catch2/catch.hpp>

#include "net/codec/audio_codec.hpp"

using namespace sb;
using namespace sb::codec;

namespace {

audio_bytes bytes(std::string_view s) { return audio_bytes(s.begin(), s.end()); }

int exponent_of(uint8_t code) { return ((~code) >> 4) & 0x07; }

} // namespace

TEST_CASE("mu-law: known values") {
  CHECK(linear_to_mulaw(0) == 0xFF);
  CHECK(linear_to_mulaw(-1) == 0x7F);
  CHECK(mulaw_to_linear(0xFF) == 0);
  CHECK(mulaw_to_linear(0x7F) == 0);
  CHECK(mulaw_to_linear(0x80) == 32124);
  CHECK(mulaw_to_linear(0x00) == -32124);
  CHECK(linear_to_mulaw(32767) == 0x80);
  CHECK(linear_to_mulaw(-32768) == 0x00);
  // Smallest step: 8 on the 16-bit scale around zero.
  CHECK(mulaw_to_linear(0xFE) == 8);
  CHECK(mulaw_to_linear(0x7E) == -8);
}

TEST_CASE("mu-law: round trip of every 16-bit value is within G.711 bounds") {
  int prev = -32768 - 1;
  for (int x = -32768; x <= 32767; ++x) {
    uint8_t code = linear_to_mulaw(static_cast<int16_t>(x));
    int y = mulaw_to_linear(code);
    if (std::abs(x) > 32635) {
      // Beyond the clip level the loudest code comes back.
      CHECK(y == (x < 0 ? -32124 : 32124));
    } else {
      // The decoder returns the middle of the quantization interval: error <= half a step.
      int half_step = 1 << (exponent_of(code) + 2);
      if (std::abs(x - y) > half_step)
        FAIL("x=" << x << " y=" << y << " code=" << int(code));
    }
    // Encoding is monotonic.
    if (y < prev)
      FAIL("not monotonic at x=" << x);
    prev = y;
  }
}

TEST_CASE("mu-law: every code survives decode then encode") {
  for (int c = 0; c < 256; ++c) {
    auto code = static_cast<uint8_t>(c);
    uint8_t again = linear_to_mulaw(mulaw_to_linear(code));
    if (code == 0x7F)
      CHECK(again == 0xFF);  // -0 and +0 decode to the same 0
    else
      CHECK(again == code);
  }
}

TEST_CASE("mu-law <-> PCM16LE buffers") {
  const uint8_t mulaw[] = {0xFF, 0x80, 0x00};
  auto pcm = mulaw_to_pcm16le(mulaw, 3);
  CHECK(pcm == audio_bytes{0x00, 0x00, 0x7C, 0x7D, 0x84, 0x82});  // 0, 32124, -32124
  CHECK(pcm16le_to_mulaw(pcm.data(), pcm.size()) == audio_bytes{0xFF, 0x80, 0x00});
  // An odd trailing byte is dropped.
  pcm.push_back(0x12);
  CHECK(pcm16le_to_mulaw(pcm.data(), pcm.size()).size() == 3);
  CHECK(mulaw_to_pcm16le(nullptr, 0).empty());
  CHECK(pcm16le_to_mulaw(nullptr, 0).empty());
}

TEST_CASE("rms: silence and a constant signal") {
  audio_bytes silence(160, 0xFF);
  CHECK(rms(silence.data(), silence.size(), audio_encoding::mulaw) == 0.0);
  audio_bytes pcm_silence(320, 0x00);
  CHECK(rms(pcm_silence.data(), pcm_silence.size(), audio_encoding::pcm16le) == 0.0);
  CHECK(rms(nullptr, 0, audio_encoding::mulaw) == 0.0);
  // -1000 as PCM16LE: 0x18 0xFC.
  audio_bytes pcm;
  for (int i = 0; i < 80; ++i) {
    pcm.push_back(0x18);
    pcm.push_back(0xFC);
  }
  CHECK(rms(pcm.data(), pcm.size(), audio_encoding::pcm16le) == Approx(1000.0));
  audio_bytes loud(10, 0x80);
  CHECK(rms(loud.data(), loud.size(), audio_encoding::mulaw) == Approx(32124.0));
}

TEST_CASE("base64: RFC 4648 vectors") {
  const std::pair<const char*, const char*> vectors[] = {
    {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},
    {"foo", "Zm9v"},   {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    INFO(plain);
    auto in = bytes(plain);
    CHECK(base64_encode(in.data(), in.size()) == encoded);
    auto out = base64_decode(encoded);
    REQUIRE(out);
    CHECK(*out == in);
  }
}

TEST_CASE("base64: round trip of every length up to 64 and all byte values") {
  audio_bytes all(256);
  for (int i = 0; i < 256; ++i)
    all[i] = static_cast<uint8_t>(i);
  for (size_t n = 0; n <= 64; ++n) {
    audio_bytes in(all.begin() + static_cast<long>(n), all.begin() + static_cast<long>(2 * n));
    auto enc = base64_encode(in.data(), in.size());
    CHECK(enc.size() == 4 * ((n + 2) / 3));
    auto out = base64_decode(enc);
    REQUIRE(out);
    CHECK(*out == in);
  }
  auto enc = base64_encode(all.data(), all.size());
  CHECK(base64_decode(enc) == all);
}

TEST_CASE("base64: invalid input is rejected") {
  for (const char* bad : {
         "Zg=",        "Zm9",       "Zm9vY",      "Z",        // wrong length
         "Zg=a",       "=Zg=",      "Z===",       "====",     // bad padding
         "Zm=9",       "Zm9v====",  "Zm9vYg=A",
         "Zm9v!A==",   "Zm9_",      "Zm-v",       "Zm9v Zm9", // bad characters
         "Zm9v\r\n\r\n", "    Zm9v", "Zm9v    ",  "Zm9v----", // skipped by OpenSSL itself
         "\tZm9vYmFy\t\n\n\n\n",     "Zm9vYg==\n\n\n\n"}) {
    INFO(bad);
    CHECK_FALSE(base64_decode(bad));
  }
  // Embedded NUL.
  CHECK_FALSE(base64_decode(std::string_view("Zm\0v", 4)));
}

TEST_CASE("base64: padding bits that are not zero are rejected (found by fuzz_audio_codec)") {
  // "w/==" carries 0xC3 plus four set bits no byte holds: only "ww==" is that byte's
  // base64. Likewise "Zm9=" (two stray bits) is "Zm8=".
  CHECK_FALSE(base64_decode("w/=="));
  CHECK_FALSE(base64_decode("Zm9="));
  CHECK(base64_decode("ww==") == audio_bytes{0xC3});
  CHECK(base64_decode("Zm8=") == audio_bytes{'f', 'o'});
}
