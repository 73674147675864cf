#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "net/codec/deepgram_stt_codec.hpp"
#include "net/codec/tts_codec.hpp"

using namespace sb::codec;

TEST_CASE("elevenlabs: stream path") {
  CHECK(elevenlabs_stream_path("", "21m00Tcm4TlvDq8ikWAM") ==
        "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream?output_format=ulaw_8000");
  CHECK(elevenlabs_stream_path("/proxy/", "v", "pcm_8000") ==
        "/proxy/v1/text-to-speech/v/stream?output_format=pcm_8000");
  // A voice id cannot escape its path segment.
  CHECK(elevenlabs_stream_path("", "../a b?x") ==
        "/v1/text-to-speech/..%2Fa%20b%3Fx/stream?output_format=ulaw_8000");
}

TEST_CASE("elevenlabs: body") {
  CHECK(elevenlabs_body("Hello there.", "eleven_flash_v2_5") ==
        R"({"text":"Hello there.","model_id":"eleven_flash_v2_5"})");
  CHECK(elevenlabs_body("Say \"hi\"\n", "") == R"({"text":"Say \"hi\"\n"})");
  auto j = nlohmann::json::parse(elevenlabs_body(std::string("bad \xFF utf8"), "m"));
  CHECK(j["text"] == "bad \xEF\xBF\xBD utf8");
}

TEST_CASE("elevenlabs: error details") {
  CHECK(elevenlabs_error_detail(
          401, R"({"detail":{"status":"invalid_api_key","message":"Invalid API key"}})") ==
        "401 invalid_api_key: Invalid API key");
  CHECK(elevenlabs_error_detail(
          429, R"({"detail":{"status":"too_many_concurrent_requests","message":"Too many )"
               R"(concurrent requests"}})") ==
        "429 too_many_concurrent_requests: Too many concurrent requests");
  CHECK(elevenlabs_error_detail(400, R"({"detail":{"status":"voice_not_found"}})") ==
        "400 voice_not_found");
  CHECK(elevenlabs_error_detail(
          422, R"({"detail":[{"loc":["body","text"],"msg":"field required",)"
               R"("type":"value_error.missing"}]})") ==
        "422 validation: body.text: field required");
  CHECK(elevenlabs_error_detail(
          422, R"({"detail":[{"loc":["body",0],"msg":"bad"},{"loc":["x"],"msg":"y"},3]})") ==
        "422 validation: body.0: bad (+2 more)");
  CHECK(elevenlabs_error_detail(404, R"({"detail":"Not Found"})") == "404: Not Found");
  CHECK(elevenlabs_error_detail(502, "Bad gateway") == "502: Bad gateway");
  CHECK(elevenlabs_error_detail(500, "") == "500");
  CHECK(elevenlabs_error_detail(500, R"({"detail":{}})") == R"(500: {"detail":{}})");
}

TEST_CASE("deepgram aura: path, body, errors") {
  CHECK(deepgram_speak_path("", "aura-2-thalia-en") ==
        "/v1/speak?model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000&container=none");
  CHECK(deepgram_speak_path("/dg/", "a&b") ==
        "/dg/v1/speak?model=a%26b&encoding=mulaw&sample_rate=8000&container=none");
  CHECK(deepgram_speak_path("", "") == "/v1/speak?encoding=mulaw&sample_rate=8000&container=none");
  CHECK(deepgram_speak_body("Hello") == R"({"text":"Hello"})");
  CHECK(deepgram_error_detail(429, "", R"({"err_code":"Too Many Requests",)"
                                       R"("err_msg":"Please try again later."})") ==
        "429 Too Many Requests: Please try again later.");
  CHECK(deepgram_error_detail(413, "", "") == "413");
}
