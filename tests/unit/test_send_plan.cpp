// How reply audio is cut into messages for a given lead (net/io/send_ahead.hpp).
#include <catch2/catch.hpp>

#include "net/io/send_ahead.hpp"

using namespace std::chrono_literals;
using sb::net::send_plan;

TEST_CASE("send plan: half the lead a message, the next once the rest is due") {
  auto twilio = send_plan::of(400ms, 20ms);
  CHECK(twilio.chunk_frames == 10);
  CHECK(twilio.refill == 200ms);
  auto exotel = send_plan::of(400ms, 200ms);  // Exotel's 200 ms frames
  CHECK(exotel.chunk_frames == 1);
  CHECK(exotel.refill == 200ms);
  auto odd = send_plan::of(250ms, 20ms);  // whole frames: 6 (120 ms), refill the rest
  CHECK(odd.chunk_frames == 6);
  CHECK(odd.refill == 130ms);
  auto second = send_plan::of(1000ms, 20ms);
  CHECK(second.chunk_frames == 25);
  CHECK(second.refill == 500ms);
}

TEST_CASE("send plan: no lead is one frame a message, each when due") {
  auto none = send_plan::of(0ms, 20ms);
  CHECK(none.chunk_frames == 1);
  CHECK(none.refill == 0ms);
  auto under = send_plan::of(30ms, 20ms);  // less than two frames: one, 10 ms early
  CHECK(under.chunk_frames == 1);
  CHECK(under.refill == 10ms);
  auto exotel_short = send_plan::of(100ms, 200ms);  // under one Exotel frame
  CHECK(exotel_short.chunk_frames == 1);
  CHECK(exotel_short.refill == 0ms);
}
