// G.711 mu-law <-> 16-bit PCM, and base64 for the telephony JSON payloads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "messages/audio.hpp"

namespace sb::codec {

uint8_t linear_to_mulaw(int16_t sample);
int16_t mulaw_to_linear(uint8_t code);

// mu-law bytes -> 16-bit little-endian PCM bytes (twice the size).
audio_bytes mulaw_to_pcm16le(const uint8_t* data, size_t n);
// 16-bit little-endian PCM bytes -> mu-law bytes (an odd trailing byte is dropped).
audio_bytes pcm16le_to_mulaw(const uint8_t* data, size_t n);

// Mean energy of a block as RMS on the 16-bit scale, for either encoding.
double rms(const uint8_t* data, size_t n, audio_encoding enc);

std::string base64_encode(const uint8_t* data, size_t n);
// nullopt for anything that is not canonical base64 (bad characters, bad length).
std::optional<audio_bytes> base64_decode(std::string_view text);

} // namespace sb::codec
