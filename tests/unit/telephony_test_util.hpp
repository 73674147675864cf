// Helpers shared by the telephony codec unit tests.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "net/codec/telephony_codec.hpp"

namespace sb::codec::test {

// The decoded event, which must be a T.
template <class T>
T expect_event(telephony_codec& c, std::string_view frame) {
  auto r = c.decode(frame);
  if (auto* err = std::get_if<decode_error>(&r))
    FAIL("unexpected decode_error: " << err->reason << " for " << frame);
  auto& ev = std::get<inbound_event>(r);
  REQUIRE(std::holds_alternative<T>(ev));
  return std::get<T>(ev);
}

// The decode error's reason; fails when the frame decoded.
inline std::string expect_error(telephony_codec& c, std::string_view frame) {
  auto r = c.decode(frame);
  if (!std::holds_alternative<decode_error>(r))
    FAIL("expected a decode_error for " << frame);
  return std::get<decode_error>(r).reason;
}

inline nlohmann::json parse(const std::string& s) { return nlohmann::json::parse(s); }

} // namespace sb::codec::test

namespace sb::codec::test {

// Every prefix of `frame`, and `frame` with each byte replaced by a few others, decodes
// to some result without throwing (the codec is reset for each try).
template <class MakeCodec>
void check_robust(MakeCodec make, const std::string& start_frame, const std::string& frame) {
  auto attempt = [&](const std::string& text) {
    auto c = make();
    c->decode(start_frame);
    CHECK_NOTHROW(c->decode(text));
  };
  for (size_t n = 0; n <= frame.size(); ++n)
    attempt(frame.substr(0, n));
  for (size_t i = 0; i < frame.size(); ++i)
    for (char r : {'\0', '"', '{', '1', '\xFF'}) {
      std::string m = frame;
      m[i] = r;
      attempt(m);
    }
}

} // namespace sb::codec::test
