// The audio an STT connection would send again after a loss (net/io/replay_buffer.hpp).
#include <catch2/catch.hpp>

#include <numeric>

#include "net/io/replay_buffer.hpp"

using sb::audio_bytes;
using sb::net::replay_buffer;

namespace {

audio_bytes ramp(uint8_t first, size_t n) {
  audio_bytes a(n);
  std::iota(a.begin(), a.end(), first);
  return a;
}

audio_bytes joined(const std::vector<audio_bytes>& parts) {
  audio_bytes all;
  for (auto& p : parts)
    all.insert(all.end(), p.begin(), p.end());
  return all;
}

} // namespace

TEST_CASE("replay: what a final result has not covered goes again, in order, exactly") {
  replay_buffer r(1000, 1);
  auto a = ramp(0, 160), b = ramp(160, 160), c = ramp(64, 160);
  r.sent(a.data(), a.size());
  r.sent(b.data(), b.size());
  r.sent(c.data(), c.size());
  CHECK(r.end() == 480);
  r.covered(200);  // the first frame and 40 bytes of the second
  CHECK(r.begin() == 200);
  auto again = joined(r.take(16384));
  audio_bytes want(b.begin() + 40, b.end());
  want.insert(want.end(), c.begin(), c.end());
  CHECK(again == want);
  CHECK(r.size() == 0);
  CHECK(r.end() == 0);  // the next connection counts from 0
}

TEST_CASE("replay: at most the window is kept, the newest audio") {
  replay_buffer r(400, 1);
  for (uint8_t k = 0; k < 5; ++k) {
    auto f = ramp(static_cast<uint8_t>(k * 100), 100);
    r.sent(f.data(), f.size());
  }
  CHECK(r.size() == 400);
  CHECK(r.begin() == 100);
  auto again = joined(r.take(16384));
  REQUIRE(again.size() == 400);
  CHECK(again.front() == 100);
  CHECK(again.back() == static_cast<uint8_t>(499));
}

TEST_CASE("replay: a covered offset past the end, or before the start, is harmless") {
  replay_buffer r(1000, 1);
  auto f = ramp(0, 100);
  r.sent(f.data(), f.size());
  r.covered(40);
  r.covered(10);  // an older result: nothing more goes
  CHECK(r.begin() == 40);
  r.covered(5000);  // rounding of the provider's end time
  CHECK(r.size() == 0);
  CHECK(r.end() == 100);
  r.sent(f.data(), 10);
  CHECK(r.begin() == 100);
  CHECK(joined(r.take(16384)) == audio_bytes(f.begin(), f.begin() + 10));
}

TEST_CASE("replay: 16-bit audio goes in whole samples and in messages of the given size") {
  replay_buffer r(32000, 2);
  auto f = ramp(0, 640);  // 20 ms of 16-bit PCM at 16 kHz
  for (int k = 0; k < 10; ++k)
    r.sent(f.data(), f.size());
  r.covered(101);  // not on a sample: the sample it falls in is kept
  CHECK(r.begin() == 100);
  auto parts = r.take(1001);  // 1000 bytes a message: whole samples
  REQUIRE(parts.size() == 7);
  for (size_t k = 0; k + 1 < parts.size(); ++k)
    CHECK(parts[k].size() == 1000);
  CHECK(parts.back().size() == 6400 - 100 - 6000);
  CHECK(joined(parts).front() == f[100]);
}
