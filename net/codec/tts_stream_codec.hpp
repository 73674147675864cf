// ElevenLabs WebSocket stream-input (protocols.md section 5): one stream per reply takes
// the reply's text as it is written and streams its audio back. Messages are JSON text
// frames both ways. No exception escapes.
#pragma once

#include <string>
#include <string_view>

#include "messages/audio.hpp"

namespace sb::codec {

// base_path + "/v1/text-to-speech/{voice}/stream-input?model_id=..&output_format=..".
// Auth header: "xi-api-key: KEY".
std::string elevenlabs_input_path(std::string_view base_path, std::string_view voice,
                                  std::string_view model_id,
                                  std::string_view output_format = "ulaw_8000");
// The first message: a single space (the protocol's beginning of stream).
std::string elevenlabs_input_open();
// A piece of text, ending with a space as the protocol asks; `flush` has it synthesised
// now rather than when more text has come.
std::string elevenlabs_input_text(std::string_view text, bool flush);
// End of stream: the server sends what is left, then {"isFinal":true}, and closes.
std::string elevenlabs_input_end();

struct tts_stream_event {
  enum kind_t { audio, final, error, other } kind = other;
  audio_bytes bytes;    // audio: decoded from base64
  std::string message;  // error: what the server said; malformed input: why
};
// One server message. Unknown messages (e.g. alignment only) are `other`; a message that
// is not JSON, or audio that is not base64, is an `error` with the reason.
tts_stream_event parse_elevenlabs_output(std::string_view message);

} // namespace sb::codec
