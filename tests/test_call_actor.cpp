// The call actor alone, on CAF's test coordinator: fake telephony and provider ports record
// what the call asks of the network, and the test plays the network's answers back.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/call_actor.hpp"
#include "actors/pool_actor.hpp"
#include "messages/pool_cluster.hpp"
#include "messages/atoms.hpp"
#include "tests/support/call_fixture.hpp"
#include "tests/support/virtual_time.hpp"

using namespace std::chrono_literals;
using namespace sb::test::calls;


TEST_CASE_METHOD(fixture, "a turn: transcript -> LLM -> TTS per sentence -> audio -> mark") {
  start();
  REQUIRE(prov->stt != 0);
  tell(sb::tel_media{1, 20, sb::audio_bytes(160, 0xff)});
  CHECK(prov->stt_bytes == 160);  // caller audio goes to STT from the first frame
  said("what time is it");
  REQUIRE(prov->llm_requests.size() == 1);
  auto& req = prov->llm_requests[0];
  REQUIRE(req.size() == 2);
  CHECK(req[0].role == "system");
  CHECK(req[1].content == "what time is it");
  // The first sentence goes to TTS as soon as it is complete, before the LLM is done.
  tell(sb::llm_token{prov->llm, "It is noon. "});
  REQUIRE(prov->tts_texts.size() == 1);
  CHECK(prov->tts_texts[0] == "It is noon.");
  tell(sb::llm_token{prov->llm, "Anything else?"});
  tell(sb::llm_done{prov->llm, "stop", 10, 5});
  speak_current_sentence();
  REQUIRE(prov->tts_texts.size() == 2);
  CHECK(prov->tts_texts[1] == "Anything else?");
  speak_current_sentence();
  CHECK(tel->played == 1600);
  CHECK(tel->log.back() == "mark turn-1");
  // The caller's mark echo ends playback; the next utterance carries the history.
  tell(sb::tel_mark{"turn-1"});
  said("thanks");
  REQUIRE(prov->llm_requests.size() == 2);
  auto& second = prov->llm_requests[1];
  REQUIRE(second.size() == 4);
  CHECK(second[2].role == "assistant");
  CHECK(second[2].content == "It is noon. Anything else?");
}

TEST_CASE_METHOD(fixture, "caller audio is routed to STT on the I/O thread without reordering") {
  start();
  REQUIRE(prov->stt != 0);
  // Once STT is leased the actor asks the edge to send audio straight to the stream.
  CHECK(tel->has("route " + std::to_string(prov->stt)));
  CHECK_FALSE(tel->has("open_route"));
  // Frames the edge sent before it switched are still forwarded, in order, by the actor...
  tell(sb::tel_media{1, 20, sb::audio_bytes(160, 0xff)});
  tell(sb::tel_media{2, 40, sb::audio_bytes(160, 0xff)});
  CHECK(prov->stt_bytes == 320);
  CHECK_FALSE(tel->has("open_route"));
  // ...and only after the edge's marker does the actor let the held audio go on.
  tell(sb::audio_routed_atom_v);
  CHECK(tel->log.back() == "open_route");
}

TEST_CASE_METHOD(fixture, "caller speech during the reply is barge-in: clear and cancel") {
  start();
  said("tell me a story");
  tell(sb::llm_token{prov->llm, "Once upon a time. "});
  auto llm = prov->llm;
  auto tts = prov->tts;
  tell(sb::tts_audio{tts, sb::audio_bytes(800, 0x7f)});
  CHECK_FALSE(tel->has("clear"));
  tell(sb::stt_transcript{prov->stt, "stop", false, false, 0.8});  // interim speech
  CHECK(tel->has("clear"));
  CHECK(std::count(prov->cancelled.begin(), prov->cancelled.end(), llm) == 1);
  CHECK(std::count(prov->cancelled.begin(), prov->cancelled.end(), tts) == 1);
  // Late events of the cancelled streams change nothing.
  auto played = tel->played;
  tell(sb::tts_audio{tts, sb::audio_bytes(800, 0x7f)});
  tell(sb::llm_token{llm, "There was a dragon. "});
  CHECK(tel->played == played);
  CHECK(prov->tts_texts.size() == 1);
  // Back to listening: the next utterance is a new turn.
  said("stop please");
  CHECK(prov->llm_requests.size() == 2);
}

TEST_CASE_METHOD(fixture, "an LLM failure is answered with the apology, and the call goes on") {
  start();
  said("hello");
  tell(sb::provider_failure{prov->llm, sb::provider_kind::llm, sb::failure_kind::http_status,
                            500, -1, "500 server_error"});
  REQUIRE(prov->tts_texts.size() == 1);
  CHECK(prov->tts_texts[0].find("Sorry") == 0);
  speak_current_sentence();
  CHECK(tel->has("mark turn-1"));
  CHECK_FALSE(tel->has("close"));
}

TEST_CASE_METHOD(fixture, "an STT failure ends the call with 1011 and the reason") {
  start();
  tell(sb::provider_failure{prov->stt, sb::provider_kind::stt, sb::failure_kind::rate_limited,
                            429, -1, "429 TOO_MANY_REQUESTS"});
  REQUIRE(tel->has("close 1011"));
  CHECK(tel->log.back().find("rate_limited") != std::string::npos);
}

TEST_CASE_METHOD(fixture, "no start event in time closes with 1008") {
  CHECK(sched.advance_time(9s) == 0);
  sched.run();
  CHECK_FALSE(tel->has("close"));
  sched.advance_time(1s);
  sched.run();
  CHECK(tel->has("close 1008 no start event"));
}

TEST_CASE_METHOD(fixture, "history is trimmed to max_history messages from a caller turn") {
  start();
  for (int i = 0; i < 4; ++i) {
    said("question " + std::to_string(i));
    reply("Answer " + std::to_string(i) + ".");
    speak_current_sentence();
    tell(sb::tel_mark{"turn-" + std::to_string(i + 1)});
  }
  said("last");
  auto& req = prov->llm_requests.back();
  // The 4 most recent messages would start with an answer: the kept history starts at
  // the caller's turn before it.
  REQUIRE(req.size() == 4);
  CHECK(req[0].role == "system");
  CHECK(req[1].content == "question 3");
  CHECK(req[2].content == "Answer 3.");
  CHECK(req[3].content == "last");
}

TEST_CASE_METHOD(fixture, "keypad digits reach the LLM as caller input, a row of them at once") {
  start();
  tell(sb::tel_dtmf{"1"});
  tell(sb::tel_dtmf{"2"});
  sched.advance_time(999ms);
  sched.run();
  CHECK(prov->llm_requests.empty());  // another digit may follow
  tell(sb::tel_dtmf{"3"});
  sched.advance_time(999ms);
  sched.run();
  CHECK(prov->llm_requests.empty());
  sched.advance_time(1ms);
  sched.run();
  REQUIRE(prov->llm_requests.size() == 1);
  auto& last = prov->llm_requests[0].back();
  CHECK(last.role == "user");
  CHECK(last.content == "(The caller pressed 1 2 3 on the keypad.)");
}

TEST_CASE_METHOD(fixture, "a key pressed during the reply interrupts it like speech") {
  start();
  said("what are my options");
  reply("Press one for sales.");
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(800, 0x7f)});
  REQUIRE(tel->has("play"));
  tell(sb::tel_dtmf{"1"});
  CHECK(tel->has("clear"));
  sched.advance_time(1s);
  sched.run();
  REQUIRE(prov->llm_requests.size() == 2);
  CHECK(prov->llm_requests[1].back().content == "(The caller pressed 1 on the keypad.)");
}

namespace {

struct vad_fixture : fixture {
  vad_fixture() {
    respawn(2, [](sb::call_settings& s) { s.barge_in_on_vad = true; });
  }
};

} // namespace

TEST_CASE_METHOD(vad_fixture, "barge_in = vad: the voice event stops the playing reply") {
  start();
  said("tell me a story");
  reply("Once upon a time.");
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(800, 0x7f)});
  REQUIRE_FALSE(tel->has("clear"));
  tell(sb::stt_speech_started{prov->stt});
  CHECK(tel->has("clear"));
}

TEST_CASE_METHOD(fixture, "barge_in = transcript: the voice event alone does not interrupt") {
  start();
  said("tell me a story");
  reply("Once upon a time.");
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(800, 0x7f)});
  tell(sb::stt_speech_started{prov->stt});
  CHECK_FALSE(tel->has("clear"));
  tell(sb::stt_transcript{prov->stt, "wait", false, false, 0.9});
  CHECK(tel->has("clear"));
}

namespace {
struct pooled_fixture : fixture {
  pooled_fixture() : fixture(true) {}
};
} // namespace

TEST_CASE_METHOD(pooled_fixture, "a revoked STT lease closes the stream at once and the call "
                                 "asks again") {
  start();
  auto first = prov->stt;
  REQUIRE(first != 0);
  CHECK(tel->has("route " + std::to_string(first)));
  // The pool (a cluster front that could not renew) revokes lease 1.
  caf::send_as(caf::actor_cast<caf::actor>(stt_pool), call, sb::pool_revoke_atom_v, uint64_t{1});
  sched.run();
  CHECK(std::count(prov->cancelled.begin(), prov->cancelled.end(), first) == 1);
  CHECK(tel->has("unroute"));
  // on_exhausted = wait: a new lease, a new stream, audio routed to it.
  REQUIRE(prov->stt != first);
  CHECK(tel->has("route " + std::to_string(prov->stt)));
  // The old stream's close changes nothing: no release for the revoked lease.
  tell(sb::provider_closed{first, 1000});
  CHECK_FALSE(tel->has("close"));
  caf::scoped_actor self{sys, true};
  auto h = self->request(stt_pool, caf::infinite, caf::get_atom_v);
  sched.run();
  h.receive([&](sb::pool_stats& st) { CHECK(st.released == 0); },
            [&](caf::error& e) { FAIL(sys.render(e)); });
  // A revoke from anyone but the lease's pool is ignored.
  caf::anon_send(call, sb::pool_revoke_atom_v, uint64_t{2});
  sched.run();
  CHECK(std::count(prov->cancelled.begin(), prov->cancelled.end(), prov->stt) == 0);
}

namespace {

// [stt] fallback and [tts] fallback configured. `tts_pool_size` > 0: the first TTS
// provider's leases come from a real pool of that size (2 s queue deadline).
struct failover_fixture : fixture {
  sb::pool_actor tts_pool;
  explicit failover_fixture(uint32_t tts_pool_size = 0) {
    if (tts_pool_size > 0) {
      sb::pool_config pc;
      pc.name = "tts";
      pc.kind = sb::provider_kind::tts;
      pc.max_active = tts_pool_size;
      tts_pool = sb::spawn_pool(sys, pc);
    }
    respawn(3, [this](sb::call_settings& s) {
      if (tts_pool)
        s.tts = {tts_pool, 2s, sb::exhausted_action::wait};
      s.stt_fallback = sb::call_pool{};  // no pool: granted at once
      s.tts_fallback = sb::call_pool{};
    });
  }
  ~failover_fixture() {
    if (tts_pool)
      caf::anon_send_exit(tts_pool, caf::exit_reason::kill);
    sched.run();
  }
  void tts_fails() {
    tell(sb::provider_failure{prov->tts, sb::provider_kind::tts,
                              sb::failure_kind::connect_failed, 0, -1, "connection refused"});
  }
};

struct busy_tts_fixture : failover_fixture {
  busy_tts_fixture() : failover_fixture(1) {}
};

} // namespace

TEST_CASE_METHOD(failover_fixture, "a sentence whose TTS request failed is said by the "
                                   "fallback provider") {
  start();
  said("hello");
  reply("Hi there.");
  REQUIRE(prov->tts_routes.size() == 1);
  CHECK(prov->tts_routes[0] == sb::provider_route::primary);
  tts_fails();
  REQUIRE(prov->tts_texts.size() == 2);
  CHECK(prov->tts_texts[1] == "Hi there.");
  CHECK(prov->tts_routes[1] == sb::provider_route::fallback);
  speak_current_sentence();
  CHECK(tel->played == 800);
  CHECK(tel->has("mark turn-1"));
  // The next sentence tries the first provider again.
  tell(sb::tel_mark{"turn-1"});
  said("and then?");
  reply("Then nothing.");
  REQUIRE(prov->tts_routes.size() == 3);
  CHECK(prov->tts_routes[2] == sb::provider_route::primary);
}

TEST_CASE_METHOD(failover_fixture, "a sentence is tried on the fallback once, and not again "
                                   "once some of it was heard") {
  start();
  said("hello");
  reply("One. Two.");
  tts_fails();
  REQUIRE(prov->tts_texts.size() == 2);
  tts_fails();  // the fallback failed too: the sentence is skipped
  REQUIRE(prov->tts_texts.size() == 3);
  CHECK(prov->tts_texts[2] == "Two.");
  CHECK(prov->tts_routes[2] == sb::provider_route::primary);
  // Part of "Two." played, then the stream broke: repeating it elsewhere would say the
  // start twice, so the turn goes on without it.
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(400, 0x7f)});
  tts_fails();
  CHECK(prov->tts_texts.size() == 3);
  CHECK(tel->has("mark turn-1"));
}

TEST_CASE_METHOD(busy_tts_fixture, "no lease in time from the first TTS pool: the fallback's "
                                   "pool serves the sentence") {
  // Another call holds the first provider's only slot.
  caf::scoped_actor other{sys, true};
  auto h = other->request(tts_pool, caf::infinite, sb::pool_acquire{1, caf::timespan{60s}, 0});
  sched.run();
  h.receive([](sb::pool_lease&) {}, [&](caf::error& e) { FAIL(sys.render(e)); });
  start();
  said("hello");
  reply("Hi there.");
  CHECK(prov->tts_texts.empty());  // waiting for the first provider's pool
  sched.advance_time(2s);
  sched.run();
  REQUIRE(prov->tts_texts.size() == 1);
  CHECK(prov->tts_texts[0] == "Hi there.");
  CHECK(prov->tts_routes[0] == sb::provider_route::fallback);
}

TEST_CASE_METHOD(failover_fixture, "an STT stream lost for good goes on with the fallback "
                                   "provider, and the caller's words are kept meanwhile") {
  start();
  auto first = prov->stt;
  REQUIRE(prov->stt_routes.size() == 1);
  tell(sb::provider_failure{first, sb::provider_kind::stt, sb::failure_kind::closed, 0, -1,
                            "1011 after 3 reconnects"});
  CHECK_FALSE(tel->has("close"));
  CHECK(tel->has("unroute"));
  REQUIRE(prov->stt_routes.size() == 2);
  CHECK(prov->stt_routes[1] == sb::provider_route::fallback);
  CHECK(prov->stt != first);
  CHECK(tel->has("route " + std::to_string(prov->stt)));
  // The call goes on with the new stream.
  said("are you there");
  CHECK(prov->llm_requests.size() == 1);
}

namespace {

// [tts] transport = websocket, with a fallback TTS provider.
struct streaming_fixture : fixture {
  streaming_fixture() {
    respawn(4, [](sb::call_settings& s) {
      s.tts_streaming = true;
      s.tts_fallback = sb::call_pool{};
    });
  }
};

} // namespace

TEST_CASE_METHOD(streaming_fixture, "transport = websocket: one TTS stream per reply takes "
                                    "each sentence as it is written") {
  start();
  said("hello");
  tell(sb::llm_token{prov->llm, "Hi there. "});
  CHECK(prov->streams_opened == 1);
  REQUIRE(prov->streamed.size() == 1);
  CHECK(prov->streamed[0] == "Hi there.");
  auto stream = prov->tts;
  tell(sb::tts_audio{stream, sb::audio_bytes(800, 0x7f)});  // audio before the LLM is done
  CHECK(tel->played == 800);
  tell(sb::llm_token{prov->llm, "How can I help?"});
  CHECK(prov->streams_finished == 0);
  tell(sb::llm_done{prov->llm, "stop", 10, 5});
  REQUIRE(prov->streamed.size() == 2);
  CHECK(prov->streams_finished == 1);  // the LLM is done: the stream is told so
  CHECK(prov->tts_texts.empty());      // no request per sentence
  tell(sb::tts_audio{stream, sb::audio_bytes(800, 0x7f)});
  CHECK_FALSE(tel->has("mark turn-1"));
  tell(sb::tts_done{stream});
  CHECK(tel->has("mark turn-1"));
  CHECK(prov->streams_opened == 1);
}

TEST_CASE_METHOD(streaming_fixture, "a reply stream that fails before any audio: the fallback "
                                    "says its sentences one by one") {
  start();
  said("hello");
  tell(sb::llm_token{prov->llm, "One. Two. "});
  REQUIRE(prov->streamed.size() == 2);
  tell(sb::provider_failure{prov->tts, sb::provider_kind::tts,
                            sb::failure_kind::rate_limited, 429, -1, "429"});
  REQUIRE(prov->tts_texts.size() == 1);
  CHECK(prov->tts_texts[0] == "One.");
  CHECK(prov->tts_routes[0] == sb::provider_route::fallback);
  speak_current_sentence();
  REQUIRE(prov->tts_texts.size() == 2);
  CHECK(prov->tts_texts[1] == "Two.");
  // Later sentences of this turn go the same way.
  tell(sb::llm_token{prov->llm, "Three."});
  tell(sb::llm_done{prov->llm, "stop", 10, 5});
  speak_current_sentence();
  REQUIRE(prov->tts_texts.size() == 3);
  CHECK(prov->tts_routes[2] == sb::provider_route::fallback);
  speak_current_sentence();
  CHECK(tel->has("mark turn-1"));
  CHECK(prov->streams_opened == 1);
}

TEST_CASE_METHOD(streaming_fixture, "barge-in closes the reply stream") {
  start();
  said("tell me a story");
  tell(sb::llm_token{prov->llm, "Once upon a time. "});
  auto stream = prov->tts;
  tell(sb::tts_audio{stream, sb::audio_bytes(800, 0x7f)});
  tell(sb::stt_transcript{prov->stt, "stop", false, false, 0.8});
  CHECK(tel->has("clear"));
  CHECK(std::count(prov->cancelled.begin(), prov->cancelled.end(), stream) == 1);
  // The next turn opens a new stream.
  said("stop please");
  tell(sb::llm_token{prov->llm, "Sure. "});
  CHECK(prov->streams_opened == 2);
}
