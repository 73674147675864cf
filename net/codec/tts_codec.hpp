// Text-to-speech REST requests (protocols.md sections 4 and 5): ElevenLabs streaming and
// Deepgram Aura. Both return mu-law 8 kHz audio as the chunked response body; the client
// only needs paths, bodies and readable error details from here. No exception escapes.
#pragma once

#include <string>
#include <string_view>

namespace sb::codec {

// ElevenLabs: base_path + "/v1/text-to-speech/{voice}/stream?output_format=ulaw_8000"
// (voice and format URL-encoded). Auth header: "xi-api-key: KEY".
std::string elevenlabs_stream_path(std::string_view base_path, std::string_view voice,
                                   std::string_view output_format = "ulaw_8000");
// {"text":..,"model_id":..} (model_id omitted when empty).
std::string elevenlabs_body(std::string_view text, std::string_view model_id);
// "401 invalid_api_key: Invalid API key" from {"detail":{"status","message"}};
// "422 validation: body.text: field required" from {"detail":[{"loc","msg","type"}..]}
// (first item, "(+N more)" when there are more); "404: Not Found" from {"detail":"..."};
// otherwise the start of the body.
std::string elevenlabs_error_detail(int status, std::string_view body);

// Deepgram Aura: base_path + "/v1/speak?model=..&encoding=mulaw&sample_rate=8000
// &container=none" (model URL-encoded, omitted when empty). Auth: deepgram_auth().
std::string deepgram_speak_path(std::string_view base_path, std::string_view model);
// {"text":..}
std::string deepgram_speak_body(std::string_view text);
// Errors: deepgram_error_detail() in deepgram_stt_codec.hpp (same body shape).

} // namespace sb::codec
