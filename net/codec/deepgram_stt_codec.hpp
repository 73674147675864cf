// Deepgram live speech-to-text (protocols.md section 3): the request path, the control
// frames and the server's JSON messages. No exception escapes any function here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "messages/audio.hpp"
#include "messages/provider_events.hpp"
#include "net/codec/decode_error.hpp"

namespace sb::codec {

struct stt_query {
  audio_encoding encoding = audio_encoding::mulaw;
  uint32_t sample_rate = 8000;
  std::string model;          // omitted from the query when empty
  std::string language;       // omitted from the query when empty
  int endpointing_ms = 300;   // <= 0 sends endpointing=false
  int utterance_end_ms = 1000;  // <= 0 omits utterance_end_ms (Deepgram wants >= 1000)
};

// base_path ("" or "/x") + "/v1/listen?model=..&language=..&encoding=mulaw|linear16
// &sample_rate=8000&channels=1&interim_results=true&endpointing=300&utterance_end_ms=1000
// &vad_events=true&punctuate=true&smart_format=true" (values URL-encoded).
std::string deepgram_listen_path(std::string_view base_path, const stt_query& q);

// Authorization header value: "Token KEY".
std::string deepgram_auth(std::string_view key);

// Text control frames.
inline constexpr std::string_view deepgram_keepalive = R"({"type":"KeepAlive"})";
inline constexpr std::string_view deepgram_close_stream = R"({"type":"CloseStream"})";
inline constexpr std::string_view deepgram_finalize = R"({"type":"Finalize"})";

// Metadata and other well-formed messages of a type we do not act on.
struct stt_ignored {
  std::string type;
};

using stt_event =
  std::variant<stt_transcript, stt_speech_started, stt_utterance_end, stt_ignored,
               decode_error>;

// The latest end of audio a result may claim, in seconds of the stream (116 days: a call
// lasts hours). Beyond it, or with a negative start or duration, end_s reads 0.
inline constexpr double max_result_end_s = 1e7;

// One server text frame. "Results" -> stt_transcript (channel.alternatives[0].transcript,
// .confidence, is_final, speech_final; absent flags/confidence read as false/0;
// end_s = start + duration, 0 when unknown or out of range);
// "SpeechStarted" / "UtteranceEnd" -> their events; any other string `type` ->
// stt_ignored. Stream ids in the events are left 0 for the caller to fill.
stt_event parse_deepgram_message(std::string_view text);

// For a failed handshake or request: "429 TOO_MANY_REQUESTS: Too many requests...".
// Reads the JSON body ({"err_code","err_msg"}, or the older {"category","message"});
// falls back to the dg-error header, then to the start of a non-JSON body.
std::string deepgram_error_detail(int status, std::string_view dg_error_header,
                                  std::string_view body);

// WebSocket close code and reason: "1011 NET-0001" ("1000" without a reason).
std::string close_reason_detail(int code, std::string_view reason);

} // namespace sb::codec
