#include "net/codec/audio_codec.hpp"

#include <array>
#include <cmath>

#include <openssl/evp.h>

namespace sb::codec {

namespace {

constexpr int bias = 0x84;
constexpr int clip = 32635;

std::array<int16_t, 256> make_decode_table() {
  std::array<int16_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    int u = ~i & 0xFF;
    int t1 = ((u & 0x0F) << 3) + bias;
    t1 <<= (u & 0x70) >> 4;
    t[i] = static_cast<int16_t>((u & 0x80) ? (bias - t1) : (t1 - bias));
  }
  return t;
}

const std::array<int16_t, 256> decode_table = make_decode_table();

} // namespace

uint8_t linear_to_mulaw(int16_t sample) {
  int s = sample;
  int sign = (s >> 8) & 0x80;
  if (sign)
    s = -s;
  if (s > clip)
    s = clip;
  s += bias;
  int exponent = 7;
  for (int mask = 0x4000; (s & mask) == 0 && exponent > 0; mask >>= 1)
    --exponent;
  int mantissa = (s >> (exponent + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

int16_t mulaw_to_linear(uint8_t code) { return decode_table[code]; }

audio_bytes mulaw_to_pcm16le(const uint8_t* data, size_t n) {
  audio_bytes out(n * 2);
  for (size_t i = 0; i < n; ++i) {
    auto v = static_cast<uint16_t>(decode_table[data[i]]);
    out[2 * i] = static_cast<uint8_t>(v & 0xFF);
    out[2 * i + 1] = static_cast<uint8_t>(v >> 8);
  }
  return out;
}

audio_bytes pcm16le_to_mulaw(const uint8_t* data, size_t n) {
  audio_bytes out(n / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    auto v = static_cast<int16_t>(data[2 * i] | (data[2 * i + 1] << 8));
    out[i] = linear_to_mulaw(v);
  }
  return out;
}

double rms(const uint8_t* data, size_t n, audio_encoding enc) {
  double sum = 0;
  size_t count = 0;
  if (enc == audio_encoding::mulaw) {
    for (size_t i = 0; i < n; ++i) {
      double v = decode_table[data[i]];
      sum += v * v;
    }
    count = n;
  } else {
    for (size_t i = 0; i + 1 < n; i += 2) {
      double v = static_cast<int16_t>(data[i] | (data[i + 1] << 8));
      sum += v * v;
    }
    count = n / 2;
  }
  return count == 0 ? 0.0 : std::sqrt(sum / static_cast<double>(count));
}

std::string base64_encode(const uint8_t* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                            static_cast<int>(n));
  out.resize(len < 0 ? 0 : static_cast<size_t>(len));
  return out;
}

std::optional<audio_bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  if (text.empty())
    return audio_bytes{};
  size_t pad = 0;
  if (text.back() == '=')
    ++pad;
  if (text[text.size() - 2] == '=')
    ++pad;
  // Check every character ourselves: EVP_DecodeBlock silently skips leading and
  // trailing whitespace, line ends and '-', which are not base64. '=' may only appear
  // as trailing padding.
  for (size_t i = 0; i < text.size() - pad; ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok)
      return std::nullopt;
  }
  // The bits after the last byte must be zero: otherwise several texts would decode to
  // the same bytes (canonical base64, RFC 4648 section 3.5).
  if (pad > 0) {
    char last = text[text.size() - pad - 1];
    int v = last >= 'A' && last <= 'Z'   ? last - 'A'
            : last >= 'a' && last <= 'z' ? last - 'a' + 26
            : last >= '0' && last <= '9' ? last - '0' + 52
            : last == '+'                ? 62
                                         : 63;
    if ((v & (pad == 2 ? 0x0F : 0x03)) != 0)
      return std::nullopt;
  }
  audio_bytes out(text.size() / 4 * 3);
  int len = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
  if (len < 0 || static_cast<size_t>(len) != out.size())
    return std::nullopt;
  out.resize(out.size() - pad);
  return out;
}

} // namespace sb::codec
