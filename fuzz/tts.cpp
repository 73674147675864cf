// The TTS stream decoders: ElevenLabs stream-input output messages
// (parse_elevenlabs_output) and Deepgram Aura's WebSocket events
// (parse_deepgram_speak_output). The first byte chooses the decoder.
// - ElevenLabs audio is exactly the base64 of the message's `audio`: encoding the bytes
//   again gives that text back (base64_decode is strict).
// - An error always says why; Aura never yields audio from a text message.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/check.hpp"
#include "net/codec/audio_codec.hpp"
#include "net/codec/tts_stream_codec.hpp"

using namespace sb;
using namespace sb::codec;
using sb::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    auto ev = parse_deepgram_speak_output(text);
    check(ev.kind != tts_stream_event::audio, "audio from an Aura text message");
    if (ev.kind == tts_stream_event::error)
      check(!ev.message.empty(), "an error without a reason");
    return 0;
  }
  auto ev = parse_elevenlabs_output(text);
  if (ev.kind == tts_stream_event::error)
    check(!ev.message.empty(), "an error without a reason");
  if (ev.kind == tts_stream_event::audio) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    check(j.is_object() && j["audio"].is_string(), "audio without an audio field");
    check(base64_encode(ev.bytes.data(), ev.bytes.size()) == j["audio"].get<std::string>(),
          "audio that is not the message's base64");
  }
  return 0;
}
