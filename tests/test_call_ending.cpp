// The call actor's end (actors/call_ending.cpp), on CAF's test coordinator: the wait in
// ENDED until the provider has closed the STT stream (or 5 s have passed), and the
// goodbye when the node stops. Time moves only with advance_time.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/support/call_fixture.hpp"

using namespace std::chrono_literals;
using namespace sb::test::calls;

namespace {

bool has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

// A call whose STT lease comes from a real pool (so the ending wait has a lease to wait
// for), with a goodbye, a transcript batcher and a session store that record.
struct ending_fixture : fixture {
  std::shared_ptr<transcript_log> stored = std::make_shared<transcript_log>();
  std::shared_ptr<session_log> store = std::make_shared<session_log>();
  explicit ending_fixture(std::string goodbye = "Goodbye for now.") : fixture(true) {
    transcripts = spawn_transcript_log(sys, stored);
    sessions = spawn_session_log(sys, store);
    respawn(5, [&](sb::call_settings& s) {
      s.stt.pool = stt_pool;
      s.goodbye = goodbye;
    });
  }
  ~ending_fixture() {
    caf::anon_send_exit(transcripts, caf::exit_reason::kill);
    caf::anon_send_exit(sessions, caf::exit_reason::kill);
    sched.run();
  }
  void start_call() {
    sb::tel_start s;
    s.stream_sid = "MZ5";
    s.call_sid = "CA5";
    tell(s);
  }
  void shut_down(bool at_once) { tell(sb::call_shutdown_atom_v, at_once); }
  size_t cancelled(sb::stream_id id) const {
    return static_cast<size_t>(std::count(prov->cancelled.begin(), prov->cancelled.end(), id));
  }
};

struct no_goodbye_fixture : ending_fixture {
  no_goodbye_fixture() : ending_fixture("") {}
};

} // namespace

TEST_CASE_METHOD(ending_fixture, "ending: the STT lease goes back once the provider has "
                                 "closed the stream, and its last words are stored") {
  start_call();
  auto stt = prov->stt;
  REQUIRE(stt != 0);
  CHECK(stats_of(stt_pool).active == 1);
  tell(sb::tel_stop{});
  CHECK(tel->has("close 1000 stream stopped"));
  // The documented close (CloseStream), not a cut: the provider still counts the stream.
  CHECK(prov->finished == std::vector<sb::stream_id>{stt});
  CHECK(cancelled(stt) == 0);
  auto seen = inspect();
  REQUIRE(seen);
  CHECK(seen->state == "ENDED");
  REQUIRE(seen->leases.size() == 1);
  CHECK(seen->leases[0].provider == "stt");
  CHECK(stats_of(stt_pool).active == 1);
  // STT answers CloseStream with the transcript of the audio it still had.
  tell(sb::stt_transcript{stt, "bye then", true, true, 0.9});
  CHECK(state() == "ENDED");
  tell(sb::provider_closed{stt, 1000});
  CHECK(state() == "GONE");
  auto st = stats_of(stt_pool);
  CHECK(st.active == 0);
  CHECK(st.released == 1);
  CHECK(st.reclaimed == 0);
  CHECK(has(stored->lines(), "caller: bye then"));
  // The stream may come back? Not after a stop: its snapshot goes.
  REQUIRE(store->ends.size() == 1);
  CHECK(store->ends[0] == std::make_pair(std::string("CA5"), false));
}

TEST_CASE_METHOD(ending_fixture, "ending: a stream that does not close within 5 s is cut, "
                                 "and the pool reclaims its lease from the actor gone") {
  start_call();
  auto stt = prov->stt;
  REQUIRE(stt != 0);
  tell(sb::tel_stop{});
  wait(4999ms);
  CHECK(state() == "ENDED");
  CHECK(stats_of(stt_pool).active == 1);
  CHECK(cancelled(stt) == 0);
  wait(1ms);
  CHECK(state() == "GONE");
  CHECK(cancelled(stt) == 1);  // cut on exit
  auto st = stats_of(stt_pool);
  CHECK(st.active == 0);
  CHECK(st.released == 0);
  CHECK(st.reclaimed == 1);
}

TEST_CASE_METHOD(ending_fixture, "ending: the call's duration is measured on the actor clock") {
  probe = std::make_shared<fake_probe>();
  respawn(6, [&](sb::call_settings& s) { s.stt.pool = stt_pool; });
  start_call();
  wait(2500ms);
  tell(sb::tel_stop{});
  REQUIRE(probe->durations.size() == 1);
  CHECK(probe->durations[0] == 2500ms);
  CHECK(probe->ended == std::vector<sb::call_end>{sb::call_end::caller_stop});
}

TEST_CASE_METHOD(ending_fixture, "goodbye: (call_shutdown_atom, false) says the goodbye, "
                                 "keeps what the caller says over it, then closes 1001") {
  start_call();
  shut_down(false);
  REQUIRE(prov->tts_texts == std::vector<std::string>{"Goodbye for now."});
  CHECK_FALSE(tel->has("close"));
  CHECK(state() == "THINKING");
  speak_current_sentence();
  CHECK(tel->has("mark turn-1"));
  CHECK(state() == "RESPONDING");
  // The caller talks over the goodbye: no barge-in, no answer, but the words are kept.
  said("wait, one more thing");
  CHECK_FALSE(tel->has("clear"));
  CHECK(prov->llm_requests.empty());
  CHECK_FALSE(tel->has("close"));
  REQUIRE_FALSE(store->puts.empty());
  auto& kept = store->puts.back().history;
  REQUIRE_FALSE(kept.empty());
  CHECK(kept.back().role == "user");
  CHECK(kept.back().content == "wait, one more thing");
  // The goodbye has been heard: the close.
  tell(sb::tel_mark{"turn-1"});
  CHECK(tel->has("close 1001 the node is shutting down"));
  CHECK(state() == "ENDED");  // waiting for the STT stream to close
  auto lines = stored->lines();
  CHECK(has(lines, "agent: Goodbye for now."));
  CHECK(has(lines, "caller: wait, one more thing"));
  // The session store hears the end once STT's last words are in (the stream closed).
  CHECK(store->ends.empty());
  tell(sb::provider_closed{prov->stt, 1000});
  REQUIRE(store->ends.size() == 1);
  CHECK(store->ends[0].second);  // the stream may come back on another node
  REQUIRE(stored->records.size() == 2);
  CHECK(stored->records[1].end_reason == "shutdown");
}

TEST_CASE_METHOD(ending_fixture, "goodbye: (call_shutdown_atom, true) closes 1001 at once") {
  start_call();
  shut_down(true);
  CHECK(tel->has("close 1001 the node is shutting down"));
  CHECK(prov->tts_texts.empty());
  CHECK(state() == "ENDED");
}

TEST_CASE_METHOD(ending_fixture, "goodbye: a second signal cuts it short") {
  start_call();
  shut_down(false);
  REQUIRE(prov->tts_texts.size() == 1);
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(800, 0x7f)});
  CHECK_FALSE(tel->has("close"));
  shut_down(true);
  CHECK(tel->has("close 1001 the node is shutting down"));
}

TEST_CASE_METHOD(no_goodbye_fixture, "goodbye: none configured, or no start yet: closed "
                                     "1001 at once") {
  SECTION("no goodbye") {
    start_call();
    shut_down(false);
  }
  SECTION("no start") {
    shut_down(false);
  }
  CHECK(tel->has("close 1001 the node is shutting down"));
  CHECK(prov->tts_texts.empty());
}

TEST_CASE_METHOD(ending_fixture, "goodbye: it may take 10 s of virtual time, then the close "
                                 "comes anyway") {
  start_call();
  shut_down(false);
  REQUIRE(prov->tts_texts.size() == 1);  // TTS never answers
  wait(9999ms);
  CHECK_FALSE(tel->has("close"));
  wait(1ms);
  CHECK(tel->has("close 1001 the node is shutting down"));
}

TEST_CASE_METHOD(ending_fixture, "goodbye: no mark echo, the playback timeout closes 2 s "
                                 "after its audio would have ended") {
  start_call();
  shut_down(false);
  speak_current_sentence(800);  // 100 ms of audio
  REQUIRE(tel->has("mark turn-1"));
  wait(2099ms);
  CHECK_FALSE(tel->has("close"));
  wait(1ms);
  CHECK(tel->has("close 1001 the node is shutting down"));
}

TEST_CASE_METHOD(ending_fixture, "goodbye: a reply in progress is cut and stored as far as "
                                 "it got") {
  start_call();
  said("tell me a story");
  tell(sb::llm_token{prov->llm, "Once upon a time. "});
  auto llm = prov->llm;
  auto tts = prov->tts;
  tell(sb::tts_audio{tts, sb::audio_bytes(800, 0x7f)});
  REQUIRE(state() == "RESPONDING");
  wait(std::chrono::milliseconds{100});  // the caller has heard its 100 ms of audio
  shut_down(false);
  CHECK(tel->has("clear"));
  CHECK(cancelled(llm) == 1);
  CHECK(cancelled(tts) == 1);
  REQUIRE(prov->tts_texts.size() == 2);
  CHECK(prov->tts_texts[1] == "Goodbye for now.");
  CHECK(has(stored->lines(), "agent: Once upon a time. [cut]"));
  speak_current_sentence();
  tell(sb::tel_mark{"turn-2"});
  CHECK(tel->has("close 1001"));
}
