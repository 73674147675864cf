// The media fast path (net/codec/flat_json): what it reads, what it leaves to the full
// parser, and that a codec gives the same answers with it and without it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "net/codec/flat_json.hpp"
#include "net/codec/telephony_codec.hpp"

using namespace sb;
using namespace sb::codec;

TEST_CASE("flat_json: a Twilio media frame, its members by name") {
  flat_json d;
  REQUIRE(d.scan(R"( {"event":"media","streamSid":"MZ1","media":{"track":"inbound",)"
                 R"("chunk":2,"timestamp":"40","payload":"AAEC/w=="}} )"));
  auto* ev = d.find(-1, "event");
  REQUIRE(ev != nullptr);
  CHECK(ev->value == "media");
  auto* media = d.find(-1, "media");
  REQUIRE(media != nullptr);
  CHECK(media->type == flat_json::kind::object);
  int m = d.index_of(media);
  CHECK(d.find(m, "payload")->value == "AAEC/w==");
  CHECK(flat_json::counter(d.find(m, "chunk")) == 2u);
  CHECK(flat_json::counter(d.find(m, "timestamp")) == 40u);
  CHECK(flat_json::counter(d.find(m, "absent")) == 0u);
  CHECK(d.find(-1, "payload") == nullptr);  // members are found in their own object only
}

TEST_CASE("flat_json: anything it is not sure of goes to the full parser") {
  flat_json d;
  for (const char* text : {
         R"({"event":"media","media":{"payload":"a\"b"}})",   // an escape
         R"({"event":"m\u00e9dia"})",                          // an escape
         "{\"event\":\"m\xc3\xa9\"}",                          // non-ASCII
         R"({"event":"media","tracks":["inbound"]})",          // an array
         R"({"event":true})",                                  // true/false/null
         R"({"a":{"b":{"c":"d"}}})",                           // deeper than two
         R"({"event":"media","event":"mark"})",                // a key twice
         R"({"event":"media"} x)",                             // trailing text
         R"({"event":"media",})",                              // a trailing comma
         R"({"n":01})", R"({"n":-})", R"({"n":1.})", R"({"n":1e})",  // not JSON numbers
         R"([1])", "", "{", R"({"event":"media")"}) {
    INFO(text);
    CHECK_FALSE(d.scan(text));
  }
  CHECK(d.scan(R"({})"));
  CHECK(d.scan(R"({"n":-1.5e+3,"o":{}})"));
  // Counters it does not read itself: a sign, a fraction, overflow, a string of non-digits.
  REQUIRE(d.scan(R"({"a":-1,"b":2.0,"c":"x1","d":"18446744073709551616","e":"",)"
                 R"("f":"18446744073709551615"})"));
  for (const char* k : {"a", "b", "c", "d", "e"})
    CHECK_FALSE(flat_json::counter(d.find(-1, k)).has_value());
  CHECK(flat_json::counter(d.find(-1, "f")) == 18446744073709551615ull);
}

namespace {

// Every frame through a codec with the fast path and one without: the same answers.
void same_answers(dialect dl, const std::string& start, const std::vector<std::string>& frames) {
  auto fast = make_telephony_codec(dl);
  auto full = make_telephony_codec(dl);
  full->set_media_fast_path(false);
  REQUIRE(std::holds_alternative<inbound_event>(fast->decode(start)));
  REQUIRE(std::holds_alternative<inbound_event>(full->decode(start)));
  for (const auto& f : frames) {
    INFO(f);
    auto a = fast->decode(f);
    auto b = full->decode(f);
    REQUIRE(a.index() == b.index());
    if (auto* e = std::get_if<decode_error>(&b)) {
      CHECK(std::get<decode_error>(a).reason == e->reason);
      continue;
    }
    auto& ea = std::get<inbound_event>(a);
    auto& eb = std::get<inbound_event>(b);
    REQUIRE(ea.index() == eb.index());
    if (auto* m = std::get_if<tel_media>(&eb)) {
      auto& fm = std::get<tel_media>(ea);
      CHECK(fm.chunk == m->chunk);
      CHECK(fm.timestamp_ms == m->timestamp_ms);
      CHECK(fm.audio == m->audio);
    }
  }
}

} // namespace

TEST_CASE("twilio: media frames read the same with the fast path and without") {
  const std::string start =
    R"({"event":"start","streamSid":"MZ1","start":{"streamSid":"MZ1","callSid":"CA1"}})";
  same_answers(dialect::twilio, start, {
    R"({"event":"media","sequenceNumber":"3","streamSid":"MZ1","media":{"track":"inbound",)"
    R"("chunk":"2","timestamp":"40","payload":"AAEC/w=="}})",
    R"({"media":{"payload":"AAEC","timestamp":40,"chunk":2},"streamSid":"MZ1","event":"media"})",
    R"({"event":"media","streamSid":"MZ1","media":{"track":"outbound","payload":"!!"}})",
    R"({"event":"media","streamSid":"MZ1","media":{"track":7,"payload":"AAEC"}})",
    R"({"event":"media","streamSid":"MZ1","media":{"payload":"not base64!"}})",
    R"({"event":"media","streamSid":"MZ1","media":{"chunk":"-1","payload":"AAEC"}})",
    R"({"event":"media","streamSid":"MZ1","media":{"chunk":2.0,"payload":"AAEC"}})",
    R"({"event":"media","streamSid":"MZ2","media":{"payload":"AAEC"}})",
    R"({"event":"media","media":{"payload":"AAEC"}})",
    R"({"event":"media","streamSid":"MZ1","media":{}})",
    R"({"event":"media","streamSid":"MZ1","media":"AAEC"})",
    R"({"event":"media","streamSid":"MZ1","media":{"payload":7}})",
    R"({"event":"mark","streamSid":"MZ1","mark":{"name":"turn-1"}})",
    R"({"event":"media","streamSid":"MZ1","media":{"payload":"A\u0041EC"}})",
  });
}

TEST_CASE("exotel: media frames read the same with the fast path and without") {
  const std::string start = R"({"event":"start","stream_sid":"s1","start":{"stream_sid":"s1"}})";
  same_answers(dialect::exotel, start, {
    R"({"event":"media","stream_sid":"s1","media":{"chunk":1,"timestamp":"20","payload":"AAEC/w=="}})",
    R"({"event":"media","stream_sid":"s1","media":{"payload":"AAEC"}})",  // 3 bytes: odd PCM16
    R"({"event":"media","stream_sid":"s1","media":{"payload":""}})",
    R"({"event":"media","stream_sid":"s2","media":{"payload":"AAEC/w=="}})",
  });
}
