#include <catch2/catch.hpp>

#include "net/codec/audio_codec.hpp"
#include "net/codec/telephony_codec.hpp"
#include "tests/unit/telephony_test_util.hpp"

using namespace sb;
using namespace sb::codec;
using namespace sb::codec::test;
using Catch::Matchers::Contains;

namespace {

// Samples from protocols.md section 1 (payloads filled in).
const std::string connected = R"({"event":"connected","protocol":"Call","version":"1.0.0"})";
const std::string start =
  R"({"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"streamSid":"MZ1",)"
  R"("accountSid":"AC1","callSid":"CA1","tracks":["inbound"],"customParameters":)"
  R"({"tenant":"t1","n":7},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,)"
  R"("channels":1}}})";
// "AAEC/w==" is the bytes 00 01 02 ff.
const std::string media =
  R"({"event":"media","sequenceNumber":"3","streamSid":"MZ1","media":{"track":"inbound",)"
  R"("chunk":"2","timestamp":"40","payload":"AAEC/w=="}})";
const std::string dtmf = R"({"event":"dtmf","sequenceNumber":"9","streamSid":"MZ1",)"
                         R"("dtmf":{"track":"inbound_track","digit":"5"}})";
const std::string mark =
  R"({"event":"mark","sequenceNumber":"12","streamSid":"MZ1","mark":{"name":"utt-7"}})";
const std::string stop = R"({"event":"stop","sequenceNumber":"99","streamSid":"MZ1",)"
                         R"("stop":{"accountSid":"AC1","callSid":"CA1"}})";

std::unique_ptr<telephony_codec> started_codec() {
  auto c = make_telephony_codec(dialect::twilio);
  expect_event<tel_start>(*c, start);
  return c;
}

} // namespace

TEST_CASE("twilio: the factory makes a Twilio codec with 20 ms frames") {
  auto c = make_telephony_codec(dialect::twilio);
  CHECK(c->kind() == dialect::twilio);
  CHECK(c->out_frame_mulaw_bytes() == 160);
  CHECK(c->out_frame_ms() == 20);
  CHECK_FALSE(c->started());
  CHECK(c->stream_sid().empty());
}

TEST_CASE("twilio: decodes every documented inbound event") {
  auto c = make_telephony_codec(dialect::twilio);
  expect_event<tel_connected>(*c, connected);

  auto s = expect_event<tel_start>(*c, start);
  CHECK(s.stream_sid == "MZ1");
  CHECK(s.call_sid == "CA1");
  CHECK(s.account_sid == "AC1");
  CHECK(s.from.empty());
  CHECK(s.params == std::map<std::string, std::string>{{"tenant", "t1"}, {"n", "7"}});
  CHECK(s.encoding == audio_encoding::mulaw);
  CHECK(s.sample_rate == 8000);
  CHECK(c->started());
  CHECK(c->stream_sid() == "MZ1");

  auto m = expect_event<tel_media>(*c, media);
  CHECK(m.chunk == 2);
  CHECK(m.timestamp_ms == 40);
  CHECK(m.audio == audio_bytes{0x00, 0x01, 0x02, 0xFF});

  CHECK(expect_event<tel_dtmf>(*c, dtmf).digit == "5");
  CHECK(expect_event<tel_mark>(*c, mark).name == "utt-7");
  CHECK(expect_event<tel_stop>(*c, stop).reason.empty());
}

TEST_CASE("twilio: media numbers may be JSON numbers and are optional") {
  auto c = started_codec();
  auto m = expect_event<tel_media>(
    *c, R"({"event":"media","streamSid":"MZ1","media":{"chunk":5,"timestamp":100,)"
        R"("payload":"AAA="}})");
  CHECK(m.chunk == 5);
  CHECK(m.timestamp_ms == 100);
  CHECK(m.audio == audio_bytes{0, 0});
  m = expect_event<tel_media>(*c,
                              R"({"event":"media","streamSid":"MZ1","media":{"payload":""}})");
  CHECK(m.chunk == 0);
  CHECK(m.timestamp_ms == 0);
  CHECK(m.audio.empty());
}

TEST_CASE("twilio: outbound-track media comes back with empty audio") {
  auto c = started_codec();
  auto m = expect_event<tel_media>(
    *c, R"({"event":"media","streamSid":"MZ1","media":{"track":"outbound","chunk":"1",)"
        R"("timestamp":"20","payload":"AAEC/w=="}})");
  CHECK(m.audio.empty());
  CHECK(m.chunk == 1);
}

TEST_CASE("twilio: start falls back to the top-level stream sid") {
  auto c = make_telephony_codec(dialect::twilio);
  auto s = expect_event<tel_start>(
    *c, R"({"event":"start","streamSid":"MZ9","start":{"callSid":"CA9"}})");
  CHECK(s.stream_sid == "MZ9");
  CHECK(s.encoding == audio_encoding::mulaw);
  CHECK(s.sample_rate == 8000);
  CHECK(s.params.empty());
}

TEST_CASE("twilio: stop before start is accepted") {
  auto c = make_telephony_codec(dialect::twilio);
  expect_event<tel_stop>(*c, R"({"event":"stop","streamSid":"MZ1"})");
}

TEST_CASE("twilio: malformed frames are decode errors") {
  auto c = started_codec();
  CHECK(expect_error(*c, "{\"event\":") == "invalid JSON at byte 9");
  CHECK_THAT(expect_error(*c, "not json"), Contains("invalid JSON at byte"));
  CHECK_THAT(expect_error(*c, ""), Contains("invalid JSON"));
  CHECK(expect_error(*c, "[1,2]") == "frame is not a JSON object");
  CHECK(expect_error(*c, "\"media\"") == "frame is not a JSON object");
  CHECK(expect_error(*c, R"({"streamSid":"MZ1"})") == "missing field 'event'");
  CHECK(expect_error(*c, R"({"event":7})") == "field 'event' is not a string");
  // A new event type is not an error: it comes back as tel_unknown, to be skipped.
  auto unknown = c->decode(R"({"event":"foo","streamSid":"MZ1","foo":{"x":1}})");
  REQUIRE(std::holds_alternative<sb::codec::inbound_event>(unknown));
  auto& ue = std::get<sb::codec::inbound_event>(unknown);
  REQUIRE(std::holds_alternative<sb::codec::tel_unknown>(ue));
  CHECK(std::get<sb::codec::tel_unknown>(ue).event == "foo");
  CHECK(expect_error(*c, R"({"event":"media","streamSid":"MZ1","media":{"payload":"A"}})") ==
        "media payload is not valid base64");
  CHECK(expect_error(*c, R"({"event":"media","streamSid":"MZ1","media":{"payload":"AA AA"}})") ==
        "media payload is not valid base64");
  CHECK(expect_error(*c, R"({"event":"media","streamSid":"MZ1","media":{}})") ==
        "missing field 'media.payload'");
  CHECK(expect_error(*c, R"({"event":"media","streamSid":"MZ1","media":{"payload":5}})") ==
        "field 'media.payload' is not a string");
  CHECK(expect_error(*c, R"({"event":"media","streamSid":"MZ1"})") == "missing field 'media'");
  CHECK(expect_error(*c, R"({"event":"media","streamSid":"MZ1","media":[]})") ==
        "field 'media' is not an object");
  CHECK(expect_error(*c, R"({"event":"media","streamSid":"MZ1","media":{"chunk":"x",)"
                         R"("payload":""}})") ==
        "field 'media.chunk' is not a non-negative integer");
  CHECK(expect_error(*c, R"({"event":"mark","streamSid":"MZ1","mark":{}})") ==
        "missing field 'mark.name'");
  CHECK(expect_error(*c, R"({"event":"dtmf","streamSid":"MZ1","dtmf":{}})") ==
        "missing field 'dtmf.digit'");
  CHECK(expect_error(*c, R"({"event":"media","streamSid":7,"media":{"payload":""}})") ==
        "field 'streamSid' is not a string");
  // Errors leave the codec usable.
  CHECK(expect_event<tel_media>(*c, media).audio.size() == 4);
}

TEST_CASE("twilio: media, mark and dtmf before start are rejected") {
  auto c = make_telephony_codec(dialect::twilio);
  CHECK(expect_error(*c, media) == "media before start");
  CHECK(expect_error(*c, mark) == "mark before start");
  CHECK(expect_error(*c, dtmf) == "dtmf before start");
  CHECK_FALSE(c->started());
}

TEST_CASE("twilio: wrong or missing stream sid is rejected") {
  auto c = started_codec();
  CHECK(expect_error(*c, R"({"event":"media","streamSid":"MZ2","media":{"payload":""}})") ==
        "stream sid 'MZ2' does not match 'MZ1'");
  CHECK(expect_error(*c, R"({"event":"media","media":{"payload":""}})") ==
        "missing field 'streamSid'");
  CHECK(expect_error(*c, R"({"event":"mark","streamSid":"MZ2","mark":{"name":"a"}})") ==
        "stream sid 'MZ2' does not match 'MZ1'");
  CHECK(expect_error(*c, R"({"event":"stop","streamSid":"MZ2"})") ==
        "stream sid 'MZ2' does not match 'MZ1'");
}

TEST_CASE("twilio: a second start and inconsistent starts are rejected") {
  auto c = started_codec();
  CHECK(expect_error(*c, start) == "second start");
  CHECK(c->stream_sid() == "MZ1");

  auto d = make_telephony_codec(dialect::twilio);
  CHECK(expect_error(*d, R"({"event":"start","streamSid":"MZ1","start":{"streamSid":"MZ2"}})") ==
        "stream sid 'MZ1' does not match start.streamSid 'MZ2'");
  CHECK(expect_error(*d, R"({"event":"start","start":{"callSid":"CA1"}})") ==
        "missing field 'start.streamSid'");
  CHECK(expect_error(*d, R"({"event":"start","streamSid":"MZ1"})") == "missing field 'start'");
  CHECK(expect_error(*d, R"({"event":"start","streamSid":"MZ1","start":{"mediaFormat":)"
                         R"({"encoding":"audio/x-alaw"}}})") ==
        "unsupported media encoding 'audio/x-alaw'");
  CHECK_THAT(expect_error(*d, R"({"event":"start","streamSid":"MZ1","start":{"mediaFormat":)"
                              R"({"sampleRate":16000}}})"),
             Contains("unsupported sample rate 16000"));
  CHECK(expect_error(*d, R"({"event":"start","streamSid":"MZ1","start":)"
                         R"({"customParameters":"x"}})") ==
        "field 'start.customParameters' is not an object");
  // None of those started the stream.
  CHECK_FALSE(d->started());
  expect_event<tel_start>(*d, start);
}

TEST_CASE("twilio: outbound frames are exactly the documented JSON") {
  auto c = started_codec();
  const uint8_t audio[] = {0xFF, 0x7F, 0x00};
  CHECK(c->encode_media(audio, 3) ==
        R"({"event":"media","streamSid":"MZ1","media":{"payload":"/38A"}})");
  CHECK(c->encode_mark("utt-7") ==
        R"({"event":"mark","streamSid":"MZ1","mark":{"name":"utt-7"}})");
  CHECK(c->encode_clear() == R"({"event":"clear","streamSid":"MZ1"})");
  // Names with characters JSON must escape stay valid JSON.
  auto j = parse(c->encode_mark("a\"b\\c\n"));
  CHECK(j["mark"]["name"] == "a\"b\\c\n");
}

TEST_CASE("twilio: outbound media round-trips through the inbound decoder") {
  auto c = started_codec();
  audio_bytes audio(160);
  for (size_t i = 0; i < audio.size(); ++i)
    audio[i] = static_cast<uint8_t>(i * 7);
  auto out = parse(c->encode_media(audio.data(), audio.size()));
  // Re-frame as an inbound frame and decode it.
  nlohmann::json in = {{"event", "media"},
                       {"streamSid", out["streamSid"]},
                       {"media", {{"track", "inbound"}, {"payload", out["media"]["payload"]}}}};
  CHECK(expect_event<tel_media>(*c, in.dump()).audio == audio);
  // Marks too.
  auto m = parse(c->encode_mark("utt-9"));
  nlohmann::json back = {{"event", "mark"}, {"streamSid", "MZ1"}, {"mark", m["mark"]}};
  CHECK(expect_event<tel_mark>(*c, back.dump()).name == "utt-9");
}

TEST_CASE("twilio: truncated and mutated frames never throw") {
  auto make = [] { return make_telephony_codec(dialect::twilio); };
  for (const auto& f : {connected, start, media, dtmf, mark, stop})
    check_robust(make, start, f);
}

TEST_CASE("twilio: a start nested a million levels deep is an error, not a stack overflow") {
  // Found by fuzz_twilio: customParameters values are kept as their JSON text, and
  // nlohmann's dump() recurses once per level. 32,000 levels (a 64 KB frame, the default
  // admission.max_message_bytes) overflowed the stack under ASan; 100,000 (200 KB) did in
  // an 8 MB thread stack at -O2, as the I/O thread's. The limit goes up to 16 MB.
  const size_t depth = 1000000;
  std::string frame = R"({"event":"start","streamSid":"MZ1","start":{"streamSid":"MZ1",)"
                      R"("customParameters":{"a":)" +
                      std::string(depth, '[') + std::string(depth, ']') + "}}}";
  auto c = make_telephony_codec(dialect::twilio);
  CHECK_THAT(expect_error(*c, frame), Contains("nested deeper than 64 levels"));
  CHECK_FALSE(c->started());
  // 64 levels in all (the frame's own three included) still decode.
  std::string deep = R"({"event":"start","streamSid":"MZ1","start":{"streamSid":"MZ1",)"
                     R"("customParameters":{"a":)" +
                     std::string(61, '[') + std::string(61, ']') + "}}}";
  auto s = expect_event<tel_start>(*c, deep);
  CHECK(s.params.at("a") == std::string(61, '[') + std::string(61, ']'));
  // Brackets inside strings are text, not nesting.
  auto c2 = make_telephony_codec(dialect::twilio);
  auto s2 = expect_event<tel_start>(
    *c2, R"({"event":"start","streamSid":"MZ1","start":{"streamSid":"MZ1",)"
         R"("customParameters":{"a":")" + std::string(100, '[') + R"(\"[{"}}})");
  CHECK(s2.params.at("a") == std::string(100, '[') + "\"[{");
}

TEST_CASE("twilio: an error quotes the caller's text cut to one short line") {
  // Found by fuzz_twilio: a 300-byte stream sid (and any newline in it) went verbatim into
  // the reason the edge logs and sends in its close frame.
  std::string sid = std::string(300, 'M') + "\\n[info] forged log line";
  auto c = make_telephony_codec(dialect::twilio);
  auto why = expect_error(*c, R"({"event":"start","streamSid":"MZ1","start":{"streamSid":")" +
                                sid + R"("}})");
  CHECK_THAT(why, Contains("does not match start.streamSid"));
  CHECK(why.size() <= 200);
  CHECK(why.find('\n') == std::string::npos);
  CHECK_THAT(why, Contains("'" + std::string(64, 'M') + "...'"));

  auto s = started_codec();
  why = expect_error(*s, R"({"event":"media","streamSid":")" + sid +
                           R"(","media":{"payload":""}})");
  CHECK_THAT(why, Contains("does not match 'MZ1'"));
  CHECK(why.size() <= 200);
  CHECK(why.find('\n') == std::string::npos);
  why = expect_error(*make_telephony_codec(dialect::twilio),
                     R"({"event":"start","streamSid":"MZ1","start":{"mediaFormat":)"
                     R"({"encoding":")" + sid + R"("}}})");
  CHECK_THAT(why, Contains("unsupported media encoding"));
  CHECK(why.size() <= 200);
  CHECK(why.find('\n') == std::string::npos);
}
