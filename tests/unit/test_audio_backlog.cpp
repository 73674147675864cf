// The audio a call keeps while it waits for its STT stream: speech always, long silences
// shortened, a hard cap with counted drops.
#include <catch2/catch.hpp>

#include <cmath>

#include "actors/audio/backlog.hpp"
#include "net/codec/audio_codec.hpp"

using sb::audio_backlog;
using sb::audio_bytes;
using sb::audio_encoding;
using namespace std::chrono_literals;

namespace {

// One 20 ms mu-law frame: a 440 Hz tone for speech, line noise (amplitude 2) otherwise.
audio_bytes frame(bool speech, double amplitude = 6000) {
  audio_bytes out(160);
  for (int i = 0; i < 160; ++i) {
    double v = speech ? amplitude * std::sin(2 * M_PI * 440.0 * i / 8000.0) : (i * 7) % 5 - 2;
    out[static_cast<size_t>(i)] = sb::codec::linear_to_mulaw(static_cast<int16_t>(v));
  }
  return out;
}

audio_bytes pcm_frame(bool speech) {
  audio_bytes out(320);
  for (int i = 0; i < 160; ++i) {
    auto v = static_cast<int16_t>(speech ? 6000 * std::sin(2 * M_PI * 440.0 * i / 8000.0) : 1);
    out[2 * static_cast<size_t>(i)] = static_cast<uint8_t>(v & 0xFF);
    out[2 * static_cast<size_t>(i) + 1] = static_cast<uint8_t>((v >> 8) & 0xFF);
  }
  return out;
}

void push(audio_backlog& b, bool speech, int frames) {
  for (int i = 0; i < frames; ++i)
    b.push(frame(speech));
}

} // namespace

TEST_CASE("backlog: the level of a frame matches the codec's RMS") {
  for (double amp : {0.0, 100.0, 1000.0, 6000.0, 30000.0}) {
    auto f = frame(amp > 0, amp);
    CHECK(audio_backlog::level(f, audio_encoding::mulaw) ==
          Approx(sb::codec::rms(f.data(), f.size(), audio_encoding::mulaw)).epsilon(0.001));
  }
  auto p = pcm_frame(true);
  CHECK(audio_backlog::level(p, audio_encoding::pcm16le) ==
        Approx(sb::codec::rms(p.data(), p.size(), audio_encoding::pcm16le)));
}

TEST_CASE("backlog: a minute of waiting keeps every word and shortens the silences") {
  audio_backlog b(audio_encoding::mulaw, {60s, 1500ms});
  // Speaks at once for 600 ms, then waits 50 s in silence, then speaks again.
  push(b, true, 30);
  push(b, false, 2500);
  push(b, true, 30);
  push(b, false, 100);
  CHECK(b.dropped() == 0ms);
  CHECK(b.speech_dropped() == 0ms);
  // 1.2 s of speech, and 1.5 s of each of the two silences.
  CHECK(b.kept() == 1200ms + 1500ms + 1500ms);
  CHECK(b.trimmed() == 50000ms + 2000ms - 3000ms);
  auto frames = b.take();
  REQUIRE(frames.size() == (1200 + 3000) / 20);
  // In order: speech first, then silence, then the second utterance.
  CHECK(audio_backlog::level(frames.front(), audio_encoding::mulaw) > 1000);
  CHECK(audio_backlog::level(frames[30], audio_encoding::mulaw) < 10);
  CHECK(audio_backlog::level(frames[30 + 75], audio_encoding::mulaw) > 1000);
  CHECK(b.empty());
  CHECK(b.bytes() == 0);
}

TEST_CASE("backlog: silence before the first word is shortened too") {
  audio_backlog b(audio_encoding::mulaw, {60s, 1000ms});
  push(b, false, 500);  // 10 s of silence
  push(b, true, 10);
  CHECK(b.kept() == 1000ms + 200ms);
  CHECK(b.trimmed() == 9000ms);
}

TEST_CASE("backlog: the soft end of a word stays with it (hangover)") {
  audio_backlog::limits l{60s, 100ms};
  l.hangover = 300ms;
  audio_backlog b(audio_encoding::mulaw, l);
  push(b, true, 5);
  push(b, false, 50);  // 1 s: 300 ms hangover counts as speech, then 100 ms kept
  CHECK(b.kept() == 100ms + 300ms);
  CHECK(b.trimmed() == 1000ms - 300ms);
}

TEST_CASE("backlog: over the cap the oldest audio goes, and it is counted") {
  audio_backlog b(audio_encoding::mulaw, {1000ms, 1500ms});
  push(b, true, 75);  // 1.5 s of speech into a 1 s backlog
  CHECK(b.kept() == 1000ms);
  CHECK(b.dropped() == 500ms);
  CHECK(b.speech_dropped() == 500ms);
}

TEST_CASE("backlog: PCM16 counts 16 bytes a millisecond") {
  audio_backlog b(audio_encoding::pcm16le, {60s, 200ms});
  for (int i = 0; i < 10; ++i)
    b.push(pcm_frame(true));
  for (int i = 0; i < 50; ++i)
    b.push(pcm_frame(false));
  // Speech, then its 300 ms hangover (longer than the 200 ms of silence kept): 500 ms.
  CHECK(b.kept() == 500ms);
  CHECK(b.bytes() == 500 * 16);
  CHECK(b.trimmed() == 1000ms - 300ms);
}

TEST_CASE("backlog: an empty frame is ignored") {
  audio_backlog b(audio_encoding::mulaw, {});
  b.push({});
  CHECK(b.empty());
}
