// What of a reply the caller heard (actors/text/spoken_reply): whole sentences by the
// playback position, the words of the sentence cut, marks pinning the position, and
// never more than the audio that had come.
#include <catch2/catch.hpp>

#include "actors/text/spoken_reply.hpp"

using namespace std::chrono_literals;
using sb::spoken_reply;

namespace {
const spoken_reply::time_point t0{std::chrono::seconds{1000}};
}

TEST_CASE("spoken reply: whole sentences by the time played, then the words of the cut one") {
  spoken_reply r;
  CHECK(r.sentence("Your order shipped yesterday.") == 0);
  CHECK(r.sentence("It should arrive on Friday before noon.") == 1);
  r.audio(0, 1000ms, t0);
  r.done(0);
  r.audio(1, 2000ms, t0 + 100ms);
  r.done(1);
  bool whole = true;
  CHECK(r.heard(t0 + 500ms, &whole) == "Your order");  // half of 4 words
  CHECK_FALSE(whole);
  CHECK(r.heard(t0 + 1000ms) == "Your order shipped yesterday.");
  // A quarter of the second sentence's 2 s: 2 of its 8 words.
  CHECK(r.heard(t0 + 1500ms) == "Your order shipped yesterday. It should");
  CHECK(r.heard(t0 + 3000ms, &whole) ==
        "Your order shipped yesterday. It should arrive on Friday before noon.");
  CHECK(whole);
}

TEST_CASE("spoken reply: nothing heard before the first audio, at least one word after") {
  spoken_reply r;
  r.sentence("Hello there.");
  CHECK(r.heard(t0 + 5s).empty());
  r.audio(0, 1000ms, t0);
  CHECK(r.heard(t0 + 10ms) == "Hello");
}

TEST_CASE("spoken reply: the position never passes the audio that came") {
  spoken_reply r;
  r.sentence("One two three four.");
  r.sentence("Five six.");
  r.audio(0, 400ms, t0);  // still synthesising: only 400 ms of the first sentence so far
  bool whole = true;
  CHECK(r.heard(t0 + 10s, &whole) == "One two three four.");  // all it has, not "Five"
  CHECK_FALSE(whole);  // but it was not finished
}

TEST_CASE("spoken reply: a mark pins the position at the end of its sentence") {
  spoken_reply r;
  r.sentence("First sentence here.");
  r.sentence("Second one is longer than that.");
  r.audio(0, 1000ms, t0);
  r.done(0);
  r.audio(1, 2000ms, t0);
  r.done(1);
  // Playback started late (the caller's jitter buffer): the first mark comes at 1.6 s.
  CHECK(r.heard(t0 + 1500ms) == "First sentence here. Second one");
  r.played(0, t0 + 1600ms);
  CHECK(r.heard(t0 + 1600ms) == "First sentence here.");
  CHECK(r.heard(t0 + 2100ms) == "First sentence here. Second one");
}

TEST_CASE("spoken reply: a sentence whose synthesis failed was not heard, the next one was") {
  spoken_reply r;
  r.sentence("Lost sentence.");
  r.sentence("Spoken one.");
  r.done(0);  // no audio: its TTS failed
  r.audio(1, 1000ms, t0);
  r.done(1);
  bool whole = false;
  CHECK(r.heard(t0 + 2s, &whole) == "Spoken one.");
  CHECK(whole);
}

TEST_CASE("spoken reply: one stream's audio is shared out among its sentences by length") {
  spoken_reply r;
  r.sentence("Short one.");                      // 10 characters
  r.sentence("A sentence three times as long");  // 30 characters
  r.audio(0, 4000ms, t0);  // streaming TTS: every byte arrives as the stream's
  r.spread(2);
  r.done(1);
  CHECK(r.heard(t0 + 1000ms) == "Short one.");
  CHECK(r.heard(t0 + 2500ms) == "Short one. A sentence three");  // half of 6 words
}

TEST_CASE("spoken reply: a stream cut while it still speaks counts its sentences by length") {
  spoken_reply r;
  r.sentence("Short one.");                      // 10 characters
  r.sentence("A sentence three times as long");  // 30 characters
  r.sentence("Not sent to the stream yet.");
  r.audio(0, 2000ms, t0);  // 2 s so far, of the first two sentences
  r.spread(2);
  bool whole = true;
  CHECK(r.heard(t0 + 1000ms, &whole) == "Short one. A sentence");  // 500 of 1500 ms: 2 words
  CHECK_FALSE(whole);
}

TEST_CASE("spoken reply: playback that ran out of audio goes on when more comes") {
  spoken_reply r;
  r.sentence("One two.");
  r.sentence("Three four five six.");
  r.audio(0, 1000ms, t0);
  r.done(0);
  r.audio(1, 1000ms, t0 + 3000ms);  // 2 s of silence: the second sentence's TTS was slow
  CHECK(r.heard(t0 + 3500ms) == "One two. Three four");  // half of it, not all of it
}
