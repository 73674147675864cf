// Audio as it moves between the telephony edge, the call actor and the providers.
#pragma once

#include <cstdint>
#include <vector>

namespace sb {

using audio_bytes = std::vector<uint8_t>;

// What the bytes are. Everything is 8 kHz mono on the phone network.
enum class audio_encoding : uint8_t {
  mulaw = 0,    // G.711 mu-law, 1 byte per sample (Twilio; TTS output ulaw_8000)
  pcm16le = 1,  // signed 16-bit little-endian (Exotel)
};

// Bytes of one millisecond of 8 kHz mono audio in this encoding.
constexpr unsigned bytes_per_ms(audio_encoding e) {
  return e == audio_encoding::pcm16le ? 16 : 8;
}

inline const char* to_string(audio_encoding e) {
  return e == audio_encoding::mulaw ? "mulaw" : "pcm16le";
}

} // namespace sb
