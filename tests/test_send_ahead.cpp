// Reply audio sent ahead of its playback ([call] send_ahead): the caller gets the same
// audio in the same order, in fewer messages, never more than the lead ahead; marks come
// back in order, and barge-in's clear throws away what was sent ahead.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/idle.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::caller::result;
using sb::caller::script;

namespace {

// One Twilio caller, three turns, each reply about a second of audio (20 ms of audio per
// character); what the caller received and heard.
result one_call(const std::vector<std::string>& sets, bool barge_in = false) {
  sb::test::stack st({"--tts-ms-per-char", barge_in ? "60" : "20"}, sets);
  script s;
  s.turns = 3;
  s.keep_reply_audio = true;
  s.barge_in = barge_in;
  sb::caller::engine e("127.0.0.1", st.node_port);
  e.add(s);
  REQUIRE(e.run(60s));
  auto r = e.results().at(0);
  INFO(st.node_log());
  REQUIRE(r.connected);
  REQUIRE(r.turns_answered == 3);
  // The caller hung up itself (the node may answer its stop with 1000 first).
  CHECK((r.close_code == 0 || r.close_code == 1000));
  CHECK(sb::test::wait_until([&] { return sb::test::sim_idle(st.sim_port); }));
  return r;
}

} // namespace

TEST_CASE("reply audio sent ahead: the same bytes in the same order, in fewer messages") {
  auto paced = one_call({"call.send_ahead=0ms"});
  auto ahead = one_call({});  // the default, 400 ms
  INFO("paced: " << paced.media_frames << " messages, " << paced.media_bytes << " bytes; "
       << "ahead: " << ahead.media_frames << " messages, " << ahead.media_bytes << " bytes");
  REQUIRE(paced.replies.size() == 3);
  REQUIRE(ahead.replies.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(ahead.replies[i].size() > 8 * 400);  // each reply is longer than the lead
    CHECK(ahead.replies[i] == paced.replies[i]);
  }
  // Real time: one 20 ms frame (160 bytes) a message. Ahead: 200 ms (1600) a message,
  // shorter ones only at the end of a sentence's audio.
  CHECK(paced.media_frames * 160 >= paced.media_bytes);
  CHECK(ahead.media_frames * 5 < paced.media_frames);
  // Played out as a phone plays: no gap, the marks in order, each turn ended by its mark.
  CHECK(ahead.gaps == 0);
  CHECK(ahead.marks == 3);
  CHECK(paced.marks == 3);
  CHECK(ahead.marks_out_of_order == 0);
  CHECK(paced.marks_out_of_order == 0);
  CHECK(ahead.sentence_marks == paced.sentence_marks);
}

TEST_CASE("reply audio is never further ahead of playback than call.send_ahead") {
  // What the caller holds, not yet played, when a message arrives: at most the lead (a
  // little more when one message is delayed on its way and the next is not).
  auto paced = one_call({"call.send_ahead=0ms"});
  auto ahead = one_call({});
  auto long_lead = one_call({"call.send_ahead=1s"});
  INFO("held at most: paced " << paced.max_buffered_ms << " ms, default "
       << ahead.max_buffered_ms << " ms, 1 s lead " << long_lead.max_buffered_ms << " ms");
  CHECK(paced.max_buffered_ms < 150);
  CHECK(ahead.max_buffered_ms >= 300);
  CHECK(ahead.max_buffered_ms <= 500);
  CHECK(long_lead.max_buffered_ms >= 800);
  CHECK(long_lead.max_buffered_ms <= 1100);
  CHECK(long_lead.gaps == 0);
}

TEST_CASE("barge-in's clear throws away what was sent ahead, and nothing of it comes after") {
  auto r = one_call({}, true);
  CHECK(r.clears >= 2);
  CHECK(r.stale_frames == 0);
  // The caller held reply audio it had not played when the clear came: sent ahead, cut.
  CHECK(r.cleared_ms >= 150.0 * static_cast<double>(r.clears));
  CHECK(r.marks_out_of_order == 0);
}
