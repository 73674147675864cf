#include <catch2/catch.hpp>

#include "net/codec/audio_codec.hpp"
#include "net/codec/telephony_codec.hpp"
#include "tests/unit/telephony_test_util.hpp"

using namespace sb;
using namespace sb::codec;
using namespace sb::codec::test;
using Catch::Matchers::Contains;

namespace {

// Samples from protocols.md section 2 (payloads filled in).
const std::string connected = R"({"event":"connected"})";
const std::string start =
  R"({"event":"start","sequence_number":"1","stream_sid":"MZ1","start":{"stream_sid":"MZ1",)"
  R"("call_sid":"CA1","account_sid":"AC1","from":"+9198","to":"+9180","custom_parameters":)"
  R"({"k":"v"},"media_format":{"encoding":"audio/x-raw","sample_rate":"8000","bit_rate":"16"}}})";
// "AAEC/w==" is the bytes 00 01 02 ff: two PCM16LE samples, 0x0100 and 0xff02.
const std::string media =
  R"({"event":"media","sequence_number":"3","stream_sid":"MZ1","media":{"chunk":"2",)"
  R"("timestamp":"200","payload":"AAEC/w=="}})";
const std::string dtmf = R"({"event":"dtmf","sequence_number":"7","stream_sid":"MZ1",)"
                         R"("dtmf":{"digit":"5","duration":"100"}})";
const std::string mark =
  R"({"event":"mark","sequence_number":"15","stream_sid":"MZ1","mark":{"name":"utt-7"}})";
const std::string stop =
  R"({"event":"stop","sequence_number":"99","stream_sid":"MZ1","stop":{"call_sid":"CA1",)"
  R"("account_sid":"AC1","reason":"callended"}})";

std::unique_ptr<telephony_codec> started_codec() {
  auto c = make_telephony_codec(dialect::exotel);
  expect_event<tel_start>(*c, start);
  return c;
}

} // namespace

TEST_CASE("exotel: the factory makes an Exotel codec with 200 ms frames") {
  auto c = make_telephony_codec(dialect::exotel);
  CHECK(c->kind() == dialect::exotel);
  CHECK(c->out_frame_mulaw_bytes() == 1600);
  CHECK(c->out_frame_ms() == 200);
  // 1600 mu-law bytes become 3200 PCM bytes (200 ms): a multiple of 320, and 3.2 KB.
  CHECK(c->out_frame_mulaw_bytes() * 2 % 320 == 0);
  CHECK(c->out_frame_mulaw_bytes() * 2 >= 3200);
  CHECK(c->out_frame_mulaw_bytes() == 8 * c->out_frame_ms());
}

TEST_CASE("exotel: decodes every documented inbound event") {
  auto c = make_telephony_codec(dialect::exotel);
  expect_event<tel_connected>(*c, connected);

  auto s = expect_event<tel_start>(*c, start);
  CHECK(s.stream_sid == "MZ1");
  CHECK(s.call_sid == "CA1");
  CHECK(s.account_sid == "AC1");
  CHECK(s.from == "+9198");
  CHECK(s.to == "+9180");
  CHECK(s.params == std::map<std::string, std::string>{{"k", "v"}});
  CHECK(s.encoding == audio_encoding::pcm16le);
  CHECK(s.sample_rate == 8000);
  CHECK(c->stream_sid() == "MZ1");

  auto m = expect_event<tel_media>(*c, media);
  CHECK(m.chunk == 2);
  CHECK(m.timestamp_ms == 200);
  CHECK(m.audio == audio_bytes{0x00, 0x01, 0x02, 0xFF});

  CHECK(expect_event<tel_dtmf>(*c, dtmf).digit == "5");
  CHECK(expect_event<tel_mark>(*c, mark).name == "utt-7");
  CHECK(expect_event<tel_stop>(*c, stop).reason == "callended");
}

TEST_CASE("exotel: numbers may be ints or strings") {
  auto c = make_telephony_codec(dialect::exotel);
  auto s = expect_event<tel_start>(
    *c, R"({"event":"start","sequence_number":1,"stream_sid":"MZ1","start":{"stream_sid":)"
        R"("MZ1","media_format":{"encoding":"base64","sample_rate":8000,"bit_rate":16}}})");
  CHECK(s.sample_rate == 8000);
  CHECK(s.encoding == audio_encoding::pcm16le);
  auto m = expect_event<tel_media>(
    *c, R"({"event":"media","sequence_number":3,"stream_sid":"MZ1","media":{"chunk":2,)"
        R"("timestamp":200,"payload":"AAA="}})");
  CHECK(m.chunk == 2);
  CHECK(m.timestamp_ms == 200);
  CHECK(expect_event<tel_dtmf>(
          *c, R"({"event":"dtmf","stream_sid":"MZ1","dtmf":{"digit":5,"duration":100}})")
          .digit == "5");
}

TEST_CASE("exotel: sid only at the top level, no media_format, stop without reason") {
  auto c = make_telephony_codec(dialect::exotel);
  auto s = expect_event<tel_start>(
    *c, R"({"event":"start","stream_sid":"MZ5","start":{"call_sid":"CA5"}})");
  CHECK(s.stream_sid == "MZ5");
  CHECK(s.encoding == audio_encoding::pcm16le);
  CHECK(expect_event<tel_stop>(*c, R"({"event":"stop","stream_sid":"MZ5"})").reason.empty());
}

TEST_CASE("exotel: a start that declares mu-law switches both directions to mu-law") {
  auto c = make_telephony_codec(dialect::exotel);
  auto s = expect_event<tel_start>(
    *c, R"({"event":"start","stream_sid":"MZ1","start":{"stream_sid":"MZ1","media_format":)"
        R"({"encoding":"audio/x-mulaw;rate=8000","sample_rate":"8000"}}})");
  CHECK(s.encoding == audio_encoding::mulaw);
  // Odd lengths are fine for mu-law.
  CHECK(expect_event<tel_media>(
          *c, R"({"event":"media","stream_sid":"MZ1","media":{"payload":"AAEC"}})")
          .audio.size() == 3);
  const uint8_t mulaw[] = {0xFF, 0x7F, 0x00};
  auto j = parse(c->encode_media(mulaw, 3));
  CHECK(j["media"]["payload"] == "/38A");
}

TEST_CASE("exotel: errors") {
  auto c = started_codec();
  CHECK_THAT(expect_error(*c, "{oops"), Contains("invalid JSON at byte 1"));
  CHECK(expect_error(*c, "42") == "frame is not a JSON object");
  CHECK(expect_error(*c, R"({"stream_sid":"MZ1"})") == "missing field 'event'");
  // A new event type is not an error: it comes back as tel_unknown, to be skipped.
  auto unknown = c->decode(R"({"event":"bar","stream_sid":"MZ1","bar":{"x":1}})");
  REQUIRE(std::holds_alternative<sb::codec::inbound_event>(unknown));
  auto& ue = std::get<sb::codec::inbound_event>(unknown);
  REQUIRE(std::holds_alternative<sb::codec::tel_unknown>(ue));
  CHECK(std::get<sb::codec::tel_unknown>(ue).event == "bar");
  CHECK(expect_error(*c, R"({"event":"media","stream_sid":"MZ1","media":{"payload":"%%%%"}})") ==
        "media payload is not valid base64");
  CHECK(expect_error(*c, R"({"event":"media","stream_sid":"MZ1","media":{"chunk":"1"}})") ==
        "missing field 'media.payload'");
  CHECK(expect_error(*c, R"({"event":"media","stream_sid":"MZ2","media":{"payload":"AAA="}})") ==
        "stream sid 'MZ2' does not match 'MZ1'");
  // Twilio's key is not Exotel's.
  CHECK(expect_error(*c, R"({"event":"media","streamSid":"MZ1","media":{"payload":"AAA="}})") ==
        "missing field 'stream_sid'");
  CHECK(expect_error(*c, R"({"event":"media","stream_sid":"MZ1","media":{"payload":"AAEC"}})") ==
        "PCM16 media payload has an odd length (3 bytes)");
  CHECK(expect_error(*c, R"({"event":"media","stream_sid":"MZ1","media":{"timestamp":-1,)"
                         R"("payload":"AAA="}})") ==
        "field 'media.timestamp' is not a non-negative integer");
  CHECK(expect_error(*c, R"({"event":"stop","stream_sid":"MZ1","stop":{"reason":[]}})") ==
        "field 'stop.reason' is not a string");
  CHECK(expect_error(*c, start) == "second start");

  auto d = make_telephony_codec(dialect::exotel);
  CHECK(expect_error(*d, media) == "media before start");
  CHECK(expect_error(*d, mark) == "mark before start");
  CHECK(expect_error(*d, dtmf) == "dtmf before start");
  CHECK_THAT(expect_error(*d, R"({"event":"start","stream_sid":"MZ1","start":{"media_format":)"
                              R"({"sample_rate":"16000"}}})"),
             Contains("unsupported sample rate 16000"));
  CHECK(expect_error(*d, R"({"event":"start","stream_sid":"MZ1","start":{"media_format":)"
                         R"({"sample_rate":"fast"}}})") ==
        "field 'start.media_format.sample_rate' is not a non-negative integer");
  CHECK(expect_error(*d, R"({"event":"start","start":{}})") == "missing field 'start.stream_sid'");
  CHECK_FALSE(d->started());
}

TEST_CASE("exotel: outbound frames are exactly the documented JSON") {
  auto c = started_codec();
  // mu-law 0xFF is silence (PCM 0); 0x80 is the loudest positive code (PCM 32124 = 0x7D7C).
  const uint8_t mulaw[] = {0xFF, 0x80};
  CHECK(c->encode_media(mulaw, 2) ==
        R"({"event":"media","stream_sid":"MZ1","media":{"payload":")" +
          base64_encode(std::vector<uint8_t>{0x00, 0x00, 0x7C, 0x7D}.data(), 4) + R"("}})");
  CHECK(c->encode_mark("utt-7") ==
        R"({"event":"mark","stream_sid":"MZ1","mark":{"name":"utt-7"}})");
  CHECK(c->encode_clear() == R"({"event":"clear","stream_sid":"MZ1"})");
}

TEST_CASE("exotel: outbound payload is PCM16LE of twice the mu-law length") {
  auto c = started_codec();
  audio_bytes frame(c->out_frame_mulaw_bytes());
  for (size_t i = 0; i < frame.size(); ++i)
    frame[i] = static_cast<uint8_t>(i);
  auto j = parse(c->encode_media(frame.data(), frame.size()));
  auto pcm = base64_decode(j["media"]["payload"].get<std::string>());
  REQUIRE(pcm);
  REQUIRE(pcm->size() == 2 * frame.size());
  CHECK(*pcm == mulaw_to_pcm16le(frame.data(), frame.size()));
  // Back through the inbound decoder and to mu-law: the same bytes (mu-law -> PCM -> mu-law
  // is lossless except for the two zero codes).
  nlohmann::json in = {{"event", "media"},
                       {"stream_sid", "MZ1"},
                       {"media", {{"payload", j["media"]["payload"]}}}};
  auto m = expect_event<tel_media>(*c, in.dump());
  auto back = pcm16le_to_mulaw(m.audio.data(), m.audio.size());
  REQUIRE(back.size() == frame.size());
  for (size_t i = 0; i < frame.size(); ++i)
    if (frame[i] != 0x7F)  // 0x7F (-0) re-encodes as 0xFF (+0)
      CHECK(back[i] == frame[i]);
}

TEST_CASE("exotel: truncated and mutated frames never throw") {
  auto make = [] { return make_telephony_codec(dialect::exotel); };
  for (const auto& f : {connected, start, media, dtmf, mark, stop})
    check_robust(make, start, f);
}
