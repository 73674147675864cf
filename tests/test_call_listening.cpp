// The call actor's listening stage (actors/call_listening.cpp), on CAF's test
// coordinator: the states the console sees, the caller's audio kept while the STT lease
// is pending and what happens when none comes by the deadline, and resuming from the
// session store. Time moves only with advance_time.
#include <catch2/catch.hpp>

#include "tests/support/call_fixture.hpp"

using namespace std::chrono_literals;
using namespace sb::test::calls;

namespace {

struct pooled_fixture : fixture {
  pooled_fixture() : fixture(true) {}
};

// The STT pool has one lease, and another call holds it.
struct busy_stt_fixture : fixture {
  sb::pool_actor pool = make_pool(sb::provider_kind::stt, 1);
  busy_stt_fixture() {
    probe = std::make_shared<fake_probe>();
    occupy(pool);
  }
  template <class Adjust>
  void settings(Adjust adjust) {
    respawn(7, [&](sb::call_settings& s) {
      s.stt = {pool, 3s, sb::exhausted_action::wait};
      adjust(s);
    });
  }
  void frames(int n) {
    for (int i = 0; i < n; ++i)
      tell(sb::tel_media{static_cast<uint64_t>(i), static_cast<uint64_t>(i) * 20,
                         sb::audio_bytes(160, 0xff)});
  }
};

// A session store that records, and a greeting for calls that start afresh.
struct resume_fixture : fixture {
  std::shared_ptr<session_log> store = std::make_shared<session_log>();
  resume_fixture() {
    probe = std::make_shared<fake_probe>();
    sessions = spawn_session_log(sys, store);
    auto& snap = store->snapshot;
    snap.call_id = "CA8";
    snap.node = "node-b";
    snap.stream_sid = "MZ0";
    snap.history = {{"user", "my parcel is late"}, {"assistant", "I will check on it."}};
    snap.turn = 1;
    snap.state = "LISTENING";
    snap.started_at = 1000;
    snap.updated_at = 2000;
    snap.found = true;
    respawn(8, [](sb::call_settings& s) {
      s.greeting = "Hello! How can I help?";
      s.goodbye = "Goodbye for now.";
    });
  }
  ~resume_fixture() {
    caf::anon_send_exit(sessions, caf::exit_reason::kill);
    sched.run();
  }
  void start_call() {
    sb::tel_start s;
    s.stream_sid = "MZ8";
    s.call_sid = "CA8";
    tell(s);
  }
};

} // namespace

TEST_CASE_METHOD(pooled_fixture, "listening: the console sees the state of each stage") {
  CHECK(state() == "STARTING");
  start();
  CHECK(state() == "LISTENING");
  said("hi");
  CHECK(state() == "THINKING");
  tell(sb::llm_token{prov->llm, "Hello. "});
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(800, 0x7f)});
  CHECK(state() == "RESPONDING");
  tell(sb::llm_done{prov->llm, "stop", 10, 5});
  tell(sb::tts_done{prov->tts});
  tell(sb::tel_mark{"turn-1"});
  CHECK(state() == "LISTENING");
  tell(sb::tel_stop{});
  CHECK(state() == "ENDED");  // the STT stream is still closing
  tell(sb::provider_closed{prov->stt, 1000});
  CHECK(state() == "GONE");
}

TEST_CASE_METHOD(busy_stt_fixture, "listening: the caller's audio while the STT lease is "
                                   "pending goes first once the pool grants it") {
  settings([](sb::call_settings&) {});
  start();
  CHECK(prov->stt == 0);
  auto seen = inspect();
  REQUIRE(seen);
  CHECK(seen->pending_acquisitions == 1);
  CHECK(seen->state == "LISTENING");
  frames(10);
  CHECK(prov->stt_bytes == 0);
  wait(1s);
  vacate();  // the other call's lease comes back: ours is granted
  REQUIRE(prov->stt != 0);
  CHECK(prov->stt_bytes == 1600);  // the kept 200 ms, at once
  CHECK(tel->has("route " + std::to_string(prov->stt)));
  frames(1);
  CHECK(prov->stt_bytes == 1760);
  seen = inspect();
  REQUIRE(seen);
  REQUIRE(seen->leases.size() == 1);
  wait(250ms);
  seen = inspect();
  REQUIRE(seen);
  CHECK(seen->leases[0].held_ms == 250);
}

TEST_CASE_METHOD(busy_stt_fixture, "listening: no STT lease by the deadline, the fallback "
                                   "provider hears the audio kept meanwhile") {
  settings([](sb::call_settings& s) { s.stt_fallback = sb::call_pool{}; });
  start();
  frames(5);
  wait(2999ms);
  CHECK(prov->stt_routes.empty());
  wait(1ms);
  REQUIRE(prov->stt_routes == std::vector<sb::provider_route>{sb::provider_route::fallback});
  CHECK(prov->stt_bytes == 800);
  REQUIRE(probe->failovers.size() == 1);
  CHECK(probe->failovers[0].first == sb::provider_kind::stt);
  CHECK(probe->failovers[0].second == "no_lease");
  said("are you there");
  CHECK(prov->llm_requests.size() == 1);
}

TEST_CASE_METHOD(busy_stt_fixture, "listening: no STT lease by the deadline and on_exhausted "
                                   "= end: closed 4503") {
  settings([](sb::call_settings& s) { s.stt.on_exhausted = sb::exhausted_action::end; });
  start();
  wait(2999ms);
  CHECK_FALSE(tel->has("close"));
  wait(1ms);
  CHECK(tel->has("close 4503 stt capacity exhausted"));
  REQUIRE(probe->fallbacks.size() == 1);
  CHECK(probe->fallbacks[0].second == sb::exhausted_action::end);
}

TEST_CASE_METHOD(busy_stt_fixture, "listening: no STT lease by the deadline and on_exhausted "
                                   "= wait: it asks again, and the audio stays kept") {
  settings([](sb::call_settings&) {});
  start();
  frames(5);
  wait(3s);
  CHECK(prov->stt == 0);
  CHECK_FALSE(tel->has("close"));
  frames(5);
  vacate();
  REQUIRE(prov->stt != 0);
  CHECK(prov->stt_bytes == 1600);
}

TEST_CASE_METHOD(resume_fixture, "resume: a snapshot found, its history goes first and "
                                 "there is no greeting") {
  start_call();
  CHECK(store->reads == std::vector<std::string>{"CA8"});
  CHECK(prov->tts_texts.empty());
  CHECK(probe->resumed == 1);
  auto seen = inspect();
  REQUIRE(seen);
  CHECK(seen->state == "LISTENING");
  CHECK(seen->turn == 1);
  CHECK(seen->history.size() == 2);
  said("any news?");
  REQUIRE(prov->llm_requests.size() == 1);
  auto& req = prov->llm_requests[0];
  REQUIRE(req.size() == 3);
  CHECK(req[0].content == "my parcel is late");
  CHECK(req[1].content == "I will check on it.");
  CHECK(req[2].content == "any news?");
  REQUIRE_FALSE(store->puts.empty());
  CHECK(store->puts.back().turn == 2);
  CHECK(store->puts.back().resumes == 1);
  CHECK(store->puts.back().started_at == 1000);
}

TEST_CASE_METHOD(resume_fixture, "resume: the caller speaks before the snapshot comes, the "
                                 "answer waits for it and carries the history") {
  store->how = session_log::mode::hold;
  start_call();
  said("any news?");
  CHECK(prov->llm_requests.empty());
  wait(1500ms);
  caf::anon_send(sessions, session_answer_atom_v);
  sched.run();
  REQUIRE(prov->llm_requests.size() == 1);
  auto& req = prov->llm_requests[0];
  REQUIRE(req.size() == 3);
  CHECK(req[0].content == "my parcel is late");
  CHECK(req[2].content == "any news?");
  CHECK(prov->tts_texts.empty());  // no greeting
}

TEST_CASE_METHOD(resume_fixture, "resume: no answer from the store within 2 s, the greeting "
                                 "and a fresh start") {
  store->how = session_log::mode::silent;
  start_call();
  CHECK(state() == "LISTENING");
  wait(1999ms);
  CHECK(prov->tts_texts.empty());
  wait(1ms);
  REQUIRE(prov->tts_texts == std::vector<std::string>{"Hello! How can I help?"});
  CHECK(probe->resumed == 0);
  speak_current_sentence();
  tell(sb::tel_mark{"turn-1"});
  // An answer that comes now is too late: ignored.
  caf::anon_send(sessions, session_answer_atom_v);
  sched.run();
  said("hi");
  REQUIRE(prov->llm_requests.size() == 1);
  auto& req = prov->llm_requests[0];
  REQUIRE(req.size() == 1);
  CHECK(req[0].content == "hi");
  auto seen = inspect();
  REQUIRE(seen);
  CHECK(seen->turn == 2);
}

TEST_CASE_METHOD(resume_fixture, "resume: the store has no snapshot, the greeting at once") {
  store->snapshot = sb::session_snapshot{};
  start_call();
  CHECK(prov->tts_texts == std::vector<std::string>{"Hello! How can I help?"});
  CHECK(probe->resumed == 0);
}

TEST_CASE_METHOD(resume_fixture, "resume: a snapshot that ends with the caller's words is "
                                 "answered at once") {
  store->snapshot.history.push_back({"user", "and where is it now?"});
  start_call();
  REQUIRE(prov->llm_requests.size() == 1);  // no greeting, no waiting for new speech
  auto& req = prov->llm_requests[0];
  REQUIRE(req.size() == 3);
  CHECK(req[2].content == "and where is it now?");
  CHECK(prov->tts_texts.empty());
}

TEST_CASE_METHOD(resume_fixture, "resume: the node stops while the snapshot is read: the "
                                 "goodbye plays, and no greeting after it") {
  store->how = session_log::mode::hold;
  store->snapshot.turn = 5;
  start_call();
  tell(sb::call_shutdown_atom_v, false);
  REQUIRE(prov->tts_texts == std::vector<std::string>{"Goodbye for now."});
  caf::anon_send(sessions, session_answer_atom_v);  // the snapshot comes now
  sched.run();
  CHECK(prov->tts_texts == std::vector<std::string>{"Goodbye for now."});
  CHECK(prov->llm_requests.empty());
  speak_current_sentence();
  tell(sb::tel_mark{"turn-1"});  // the goodbye's own turn: the snapshot's does not move it
  CHECK(tel->has("close 1001 the node is shutting down"));
}

TEST_CASE_METHOD(resume_fixture, "resume: a stream that drops while its snapshot is read "
                                 "does not overwrite that snapshot with its last words") {
  store->how = session_log::mode::hold;
  start_call();
  tell(sb::stt_transcript{prov->stt, "hello again", true, false, 0.9});  // not finished
  tell(sb::tel_closed{1006, ""});  // the stream drops before the snapshot came
  tell(sb::provider_closed{prov->stt, 1000});
  for (auto& put : store->puts)  // nothing written lacks the stored conversation
    CHECK(put.history.size() > 1);
  REQUIRE(store->ends.size() == 1);
  CHECK(store->ends[0].second);  // kept: the stream may come back
}
