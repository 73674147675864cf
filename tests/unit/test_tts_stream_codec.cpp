// ElevenLabs stream-input messages (net/codec/tts_stream_codec).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "net/codec/tts_stream_codec.hpp"

using namespace sb::codec;

TEST_CASE("stream-input: path, and the messages the client sends") {
  CHECK(elevenlabs_input_path("", "21m00Tcm4TlvDq8ikWAM", "eleven_flash_v2_5") ==
        "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream-input?model_id=eleven_flash_v2_5"
        "&output_format=ulaw_8000");
  CHECK(elevenlabs_input_path("/p", "../v", "") ==
        "/p/v1/text-to-speech/..%2Fv/stream-input?output_format=ulaw_8000");
  CHECK(elevenlabs_input_open() == R"({"text":" "})");
  // Text ends with a space, as the protocol asks; flush has it synthesised now.
  CHECK(nlohmann::json::parse(elevenlabs_input_text("Hello there.", true)) ==
        nlohmann::json{{"text", "Hello there. "}, {"flush", true}});
  CHECK(nlohmann::json::parse(elevenlabs_input_text("Say \"hi\" ", false)) ==
        nlohmann::json{{"text", "Say \"hi\" "}});
  CHECK(elevenlabs_input_end() == R"({"text":""})");
}

TEST_CASE("stream-input: server messages") {
  auto a = parse_elevenlabs_output(
    R"({"audio":"AAEC","isFinal":null,"normalizedAlignment":{"chars":["H"]}})");
  REQUIRE(a.kind == tts_stream_event::audio);
  CHECK(a.bytes == sb::audio_bytes{0, 1, 2});
  CHECK(parse_elevenlabs_output(R"({"isFinal":true})").kind == tts_stream_event::final);
  CHECK(parse_elevenlabs_output(R"({"isFinal":false})").kind == tts_stream_event::other);
  CHECK(parse_elevenlabs_output(R"({"normalizedAlignment":null})").kind ==
        tts_stream_event::other);
  auto e = parse_elevenlabs_output(R"({"message":"Invalid API key","error":"invalid_api_key"})");
  CHECK(e.kind == tts_stream_event::error);
  CHECK(e.message == "invalid_api_key: Invalid API key");
  // Malformed input is an error with a reason, never an exception.
  auto bad = parse_elevenlabs_output("{not json");
  CHECK(bad.kind == tts_stream_event::error);
  CHECK_FALSE(bad.message.empty());
  CHECK(parse_elevenlabs_output(R"({"audio":"!!!"})").kind == tts_stream_event::error);
  CHECK(parse_elevenlabs_output("[1,2]").kind == tts_stream_event::error);
  // Found by the fuzzer: an error whose message and error are empty still says why.
  for (const char* empty : {R"({"message":""})", R"({"error":""})", R"({"error":"","message":""})"}) {
    auto none = parse_elevenlabs_output(empty);
    CHECK(none.kind == tts_stream_event::error);
    CHECK_FALSE(none.message.empty());
  }
}

TEST_CASE("Deepgram speak over WebSocket: path, messages, events") {
  CHECK(deepgram_speak_ws_path("", "aura-2-thalia-en") ==
        "/v1/speak?model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000");
  CHECK(deepgram_speak_ws_path("/p", "") == "/p/v1/speak?encoding=mulaw&sample_rate=8000");
  CHECK(nlohmann::json::parse(deepgram_speak_text("Hi \"you\".")) ==
        nlohmann::json{{"type", "Speak"}, {"text", "Hi \"you\"."}});
  CHECK(deepgram_speak_flush() == R"({"type":"Flush"})");
  CHECK(parse_deepgram_speak_output(R"({"type":"Flushed","sequence_id":0})").kind ==
        tts_stream_event::final);
  CHECK(parse_deepgram_speak_output(R"({"type":"Metadata","request_id":"x"})").kind ==
        tts_stream_event::other);
  CHECK(parse_deepgram_speak_output(R"({"type":"Warning","description":"slow"})").kind ==
        tts_stream_event::other);
  auto e = parse_deepgram_speak_output(
    R"({"type":"Error","err_code":"INVALID_MESSAGE","err_msg":"bad"})");
  CHECK(e.kind == tts_stream_event::error);
  CHECK(e.message == "INVALID_MESSAGE: bad");
  CHECK(parse_deepgram_speak_output("nope").kind == tts_stream_event::error);
}
