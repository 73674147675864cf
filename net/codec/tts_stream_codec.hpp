// TTS over one WebSocket per reply: the reply's text goes in as it is written and its
// audio streams back. ElevenLabs stream-input (protocols.md section 5): JSON text frames
// both ways, audio base64 in them. Deepgram Aura's /v1/speak WebSocket: JSON text frames
// in (Speak, Flush), binary audio frames and JSON events (Flushed, ...) out.
// No exception escapes.
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

// Deepgram: base_path + "/v1/speak?model=..&encoding=mulaw&sample_rate=8000" (model
// omitted when empty). Auth: deepgram_auth() ("Authorization: Token KEY").
std::string deepgram_speak_ws_path(std::string_view base_path, std::string_view model);
// {"type":"Speak","text":..}: text to synthesise; audio starts as it comes.
std::string deepgram_speak_text(std::string_view text);
// {"type":"Flush"}: the end of the reply's text; the server answers {"type":"Flushed"}
// once the audio of everything before it has been sent.
std::string deepgram_speak_flush();
// One JSON text message of the stream (audio comes in binary frames): Flushed is `final`,
// an Error message (or one that is not JSON) is `error`, the rest `other`.
tts_stream_event parse_deepgram_speak_output(std::string_view message);

} // namespace sb::codec
