// Every message that crosses an actor boundary survives CAF's binary serializer, so calls,
// pools and the edge can later live on different nodes.
#include <catch2/catch.hpp>


#include "messages/ports.hpp"
#include "messages/provider_events.hpp"
#include "messages/telephony.hpp"
#include "tests/support/round_trip.hpp"

using fixture = sb::test::round_trip_fixture;

TEST_CASE_METHOD(fixture, "telephony events round-trip through the binary serializer") {
  sb::tel_start start;
  start.stream_sid = "MZ1";
  start.call_sid = "CA1";
  start.account_sid = "AC1";
  start.from = "+911";
  start.to = "+912";
  start.params = {{"tenant", "t1"}};
  start.encoding = sb::audio_encoding::pcm16le;
  start.sample_rate = 8000;
  CHECK(round_trip(start) == caf::deep_to_string(start));
  sb::tel_media media{7, 140, {1, 2, 3, 255}};
  CHECK(round_trip(media) == caf::deep_to_string(media));
  CHECK(round_trip(sb::tel_mark{"turn-3"}) == caf::deep_to_string(sb::tel_mark{"turn-3"}));
  CHECK(round_trip(sb::tel_dtmf{"5"}) == caf::deep_to_string(sb::tel_dtmf{"5"}));
  CHECK(round_trip(sb::tel_stop{"callended"}) ==
        caf::deep_to_string(sb::tel_stop{"callended"}));
  CHECK(round_trip(sb::tel_closed{1007, "bad"}) ==
        caf::deep_to_string(sb::tel_closed{1007, "bad"}));
  CHECK(round_trip(sb::tel_connected{}) == caf::deep_to_string(sb::tel_connected{}));
}

TEST_CASE_METHOD(fixture, "provider events round-trip through the binary serializer") {
  sb::provider_failure f{9, sb::provider_kind::tts, sb::failure_kind::rate_limited, 429, 1500,
                         "too_many_concurrent_requests"};
  auto s = round_trip(f);
  CHECK(s == caf::deep_to_string(f));
  CHECK(s.find("too_many_concurrent_requests") != std::string::npos);
  sb::stt_transcript t{3, "hello there", true, true, 0.93};
  CHECK(round_trip(t) == caf::deep_to_string(t));
  CHECK(round_trip(sb::stt_speech_started{3}) == caf::deep_to_string(sb::stt_speech_started{3}));
  CHECK(round_trip(sb::stt_utterance_end{3}) == caf::deep_to_string(sb::stt_utterance_end{3}));
  CHECK(round_trip(sb::provider_opened{4}) == caf::deep_to_string(sb::provider_opened{4}));
  CHECK(round_trip(sb::provider_closed{4, 1000}) ==
        caf::deep_to_string(sb::provider_closed{4, 1000}));
  CHECK(round_trip(sb::llm_token{5, "Hi"}) == caf::deep_to_string(sb::llm_token{5, "Hi"}));
  sb::llm_done d{5, "stop", 20, 7};
  CHECK(round_trip(d) == caf::deep_to_string(d));
  sb::tts_audio a{6, sb::audio_bytes(800, 0x7f)};
  CHECK(round_trip(a) == caf::deep_to_string(a));
  CHECK(round_trip(sb::tts_done{6}) == caf::deep_to_string(sb::tts_done{6}));
  std::vector<sb::chat_message> history{{"system", "be brief"}, {"user", "hi"}};
  CHECK(round_trip(history) == caf::deep_to_string(history));
}
