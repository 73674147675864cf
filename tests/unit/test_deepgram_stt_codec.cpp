#include <catch2/catch.hpp>

#include "net/codec/deepgram_stt_codec.hpp"

using namespace sb;
using namespace sb::codec;
using Catch::Matchers::Contains;

namespace {

template <class T>
T expect(std::string_view text) {
  auto ev = parse_deepgram_message(text);
  if (auto* err = std::get_if<decode_error>(&ev))
    FAIL("unexpected decode_error: " << err->reason);
  REQUIRE(std::holds_alternative<T>(ev));
  return std::get<T>(ev);
}

std::string expect_error(std::string_view text) {
  auto ev = parse_deepgram_message(text);
  if (!std::holds_alternative<decode_error>(ev))
    FAIL("expected a decode_error for " << text);
  return std::get<decode_error>(ev).reason;
}

// protocols.md section 3.
const char* results =
  R"({"type":"Results","channel_index":[0,1],"duration":1.04,"start":0.0,"is_final":true,)"
  R"("speech_final":true,"from_finalize":false,"channel":{"alternatives":[{"transcript":)"
  R"("another big","confidence":0.96,"words":[{"word":"another","start":0.30,"end":0.80,)"
  R"("confidence":0.95,"punctuated_word":"Another"}]}]},"metadata":{"request_id":"uuid",)"
  R"("model_info":{"name":"..","version":"..","arch":".."},"model_uuid":"uuid"}})";

} // namespace

TEST_CASE("deepgram stt: listen path with every documented parameter") {
  stt_query q;
  q.encoding = audio_encoding::mulaw;
  q.model = "nova-2-phonecall";
  q.language = "en-US";
  CHECK(deepgram_listen_path("", q) ==
        "/v1/listen?model=nova-2-phonecall&language=en-US&encoding=mulaw&sample_rate=8000"
        "&channels=1&interim_results=true&endpointing=300&utterance_end_ms=1000"
        "&vad_events=true&punctuate=true&smart_format=true");
  q.encoding = audio_encoding::pcm16le;
  q.endpointing_ms = 500;
  q.utterance_end_ms = 1500;
  auto p = deepgram_listen_path("/proxy/", q);
  CHECK_THAT(p, Catch::StartsWith("/proxy/v1/listen?model="));
  CHECK_THAT(p, Contains("&encoding=linear16&"));
  CHECK_THAT(p, Contains("&endpointing=500&utterance_end_ms=1500&"));
}

TEST_CASE("deepgram stt: query values are URL-encoded, empty ones left out") {
  stt_query q;
  q.model = "a b&c=d";
  q.language = "";
  q.endpointing_ms = 0;
  q.utterance_end_ms = 0;
  auto p = deepgram_listen_path("/x", q);
  CHECK_THAT(p, Catch::StartsWith("/x/v1/listen?model=a%20b%26c%3Dd&encoding=mulaw&"));
  CHECK_THAT(p, !Contains("language="));
  CHECK_THAT(p, Contains("&endpointing=false&"));
  CHECK_THAT(p, !Contains("utterance_end_ms"));
}

TEST_CASE("deepgram stt: auth header and control frames") {
  CHECK(deepgram_auth("abc123") == "Token abc123");
  CHECK(deepgram_keepalive == R"({"type":"KeepAlive"})");
  CHECK(deepgram_close_stream == R"({"type":"CloseStream"})");
  CHECK(deepgram_finalize == R"({"type":"Finalize"})");
}

TEST_CASE("deepgram stt: a result's start and duration must be numbers") {
  CHECK(expect_error(R"({"type":"Results","start":"0","channel":{"alternatives":)"
                     R"([{"transcript":"a"}]}})") == "field 'start' is not a number");
  auto t = expect<stt_transcript>(R"({"type":"Results","start":2.5,"duration":0.5,)"
                                  R"("channel":{"alternatives":[{"transcript":"a"}]}})");
  CHECK(t.end_s == Approx(3.0));
}

TEST_CASE("deepgram stt: a result's end out of range reads as unknown (0)") {
  // 2e300 s reached the STT client's cast to a byte count (undefined behaviour past
  // 2^64); a negative start is no time in the stream either. The words still count.
  for (const char* span : {R"("start":1e300,"duration":1e300)", R"("start":1e7,"duration":1)",
                           R"("start":-5,"duration":1)", R"("start":1,"duration":-0.5)"}) {
    INFO(span);
    auto t = expect<stt_transcript>(std::string(R"({"type":"Results","is_final":true,)") +
                                    span + R"(,"channel":{"alternatives":[{"transcript":"a"}]}})");
    CHECK(t.text == "a");
    CHECK(t.end_s == 0);
  }
  auto t = expect<stt_transcript>(R"({"type":"Results","start":9999999,"duration":1,)"
                                  R"("channel":{"alternatives":[{"transcript":"a"}]}})");
  CHECK(t.end_s == Approx(1e7));
}

TEST_CASE("deepgram stt: the documented server messages") {
  auto t = expect<stt_transcript>(results);
  CHECK(t.id == 0);
  CHECK(t.text == "another big");
  CHECK(t.confidence == Approx(0.96));
  CHECK(t.is_final);
  CHECK(t.speech_final);
  CHECK(t.end_s == Approx(1.04));  // start 0.0 + duration 1.04

  expect<stt_speech_started>(R"({"type":"SpeechStarted","channel":[0,1],"timestamp":9.54})");
  expect<stt_utterance_end>(R"({"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.395})");
  CHECK(expect<stt_ignored>(
          R"({"type":"Metadata","transaction_key":"deprecated","request_id":"uuid","sha256":)"
          R"("..","created":"2024-08-29T22:37:55.202Z","duration":12.3,"channels":1})")
          .type == "Metadata");
  CHECK(expect<stt_ignored>(R"({"type":"SomethingNew","x":1})").type == "SomethingNew");
}

TEST_CASE("deepgram stt: interim results and optional fields") {
  auto t = expect<stt_transcript>(
    R"({"type":"Results","is_final":false,"channel":{"alternatives":[{"transcript":""}]}})");
  CHECK(t.text.empty());
  CHECK_FALSE(t.is_final);
  CHECK_FALSE(t.speech_final);
  CHECK(t.confidence == 0);
  t = expect<stt_transcript>(R"({"type":"Results","is_final":true,"speech_final":false,)"
                             R"("channel":{"alternatives":[{"transcript":"hi","confidence":1},)"
                             R"({"transcript":"high","confidence":0.2}]}})");
  CHECK(t.text == "hi");
  CHECK(t.is_final);
  CHECK_FALSE(t.speech_final);
  CHECK(t.confidence == 1.0);
}

TEST_CASE("deepgram stt: malformed messages") {
  CHECK_THAT(expect_error("not json"), Contains("invalid JSON at byte"));
  CHECK_THAT(expect_error(""), Contains("invalid JSON"));
  CHECK(expect_error("[]") == "message is not a JSON object");
  CHECK(expect_error(R"({"channel":{}})") == "missing field 'type'");
  CHECK(expect_error(R"({"type":3})") == "field 'type' is not a string");
  CHECK(expect_error(R"({"type":"Results"})") == "missing field 'channel'");
  CHECK(expect_error(R"({"type":"Results","channel":[0]})") ==
        "field 'channel' is not an object");
  CHECK(expect_error(R"({"type":"Results","channel":{}})") ==
        "missing field 'channel.alternatives'");
  CHECK(expect_error(R"({"type":"Results","channel":{"alternatives":{}}})") ==
        "field 'channel.alternatives' is not an array");
  CHECK(expect_error(R"({"type":"Results","channel":{"alternatives":[]}})") ==
        "missing field 'channel.alternatives[0]'");
  CHECK(expect_error(R"({"type":"Results","channel":{"alternatives":[{}]}})") ==
        "missing field 'channel.alternatives[0].transcript'");
  CHECK(expect_error(R"({"type":"Results","channel":{"alternatives":[{"transcript":1}]}})") ==
        "field 'channel.alternatives[0].transcript' is not a string");
  CHECK(expect_error(R"({"type":"Results","channel":{"alternatives":[{"transcript":"a",)"
                     R"("confidence":"high"}]}})") ==
        "field 'channel.alternatives[0].confidence' is not a number");
  CHECK(expect_error(R"({"type":"Results","is_final":"yes","channel":{"alternatives":)"
                     R"([{"transcript":"a"}]}})") == "field 'is_final' is not a boolean");
  CHECK(expect_error(R"({"type":"Results","speech_final":1,"channel":{"alternatives":)"
                     R"([{"transcript":"a"}]}})") == "field 'speech_final' is not a boolean");
}

TEST_CASE("deepgram stt: error details") {
  CHECK(deepgram_error_detail(429, "",
                              R"({"err_code":"TOO_MANY_REQUESTS","err_msg":"Too many )"
                              R"(requests. Please try again later","request_id":"uuid"})") ==
        "429 TOO_MANY_REQUESTS: Too many requests. Please try again later");
  CHECK(deepgram_error_detail(401, "Invalid credentials.",
                              R"({"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."})") ==
        "401 INVALID_AUTH: Invalid credentials.");
  CHECK(deepgram_error_detail(400, "", R"({"category":"INVALID_QUERY_PARAMETER",)"
                                       R"("message":"bad model"})") ==
        "400 INVALID_QUERY_PARAMETER: bad model");
  // No usable body: the dg-error header, then the raw body.
  CHECK(deepgram_error_detail(402, "Payment required", "") == "402: Payment required");
  CHECK(deepgram_error_detail(503, "", "upstream\nunavailable") == "503: upstream unavailable");
  CHECK(deepgram_error_detail(500, "", "") == "500");
  // Huge bodies are cut.
  auto d = deepgram_error_detail(500, "", std::string(10000, 'x'));
  CHECK(d.size() < 400);
  CHECK_THAT(d, Catch::EndsWith("..."));
}

TEST_CASE("deepgram stt: close reason detail") {
  CHECK(close_reason_detail(1011, "NET-0001") == "1011 NET-0001");
  CHECK(close_reason_detail(1008, "DATA-0000") == "1008 DATA-0000");
  CHECK(close_reason_detail(1000, "") == "1000");
}

TEST_CASE("deepgram stt: truncated and mutated messages never throw") {
  const std::string msg = results;
  for (size_t n = 0; n <= msg.size(); ++n)
    CHECK_NOTHROW(parse_deepgram_message(msg.substr(0, n)));
  for (size_t i = 0; i < msg.size(); ++i) {
    std::string m = msg;
    m[i] = '\xFF';
    CHECK_NOTHROW(parse_deepgram_message(m));
    CHECK_NOTHROW(deepgram_error_detail(400, m, m));
  }
}
