// The call actor's reply (actors/call_reply.cpp) and the fallbacks that depend on time
// (actors/call_failover.cpp), on CAF's test coordinator: the playback timeout when no
// mark comes, the latencies a call reports, pools that have no lease by the deadline,
// and how long a lease was held. Time moves only with advance_time, so every duration
// below is exact.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "tests/support/call_fixture.hpp"

using namespace std::chrono_literals;
using namespace sb::test::calls;

namespace {

// A call with a probe and a transcript batcher that record; `adjust` changes its
// settings (pools, fallbacks) once the pools are made.
struct reply_fixture : fixture {
  std::shared_ptr<transcript_log> stored = std::make_shared<transcript_log>();
  reply_fixture() {
    probe = std::make_shared<fake_probe>();
    transcripts = spawn_transcript_log(sys, stored);
    respawn(6, [](sb::call_settings&) {});
  }
  ~reply_fixture() {
    caf::anon_send_exit(transcripts, caf::exit_reason::kill);
    sched.run();
  }
  bool has_entry(const std::string& line) const {
    auto lines = stored->lines();
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  }
  template <class Adjust>
  void settings(Adjust adjust) {
    respawn(7, adjust);
  }
};

} // namespace

TEST_CASE_METHOD(reply_fixture, "reply: no mark echo, the turn ends when its audio would "
                                "have played plus 2 s") {
  start();
  said("hi");
  reply("Hello there.");
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(8000, 0x7f)});  // 1 s of audio
  tell(sb::tts_done{prov->tts});
  REQUIRE(tel->has("mark turn-1"));
  wait(2999ms);
  CHECK(state() == "RESPONDING");
  wait(1ms);
  CHECK(state() == "LISTENING");
  CHECK(has_entry("agent: Hello there."));
  // The next words start a turn; they do not cut a reply.
  said("next");
  CHECK(prov->llm_requests.size() == 2);
  CHECK_FALSE(tel->has("clear"));
}

TEST_CASE_METHOD(reply_fixture, "reply: the playback timeout counts the audio that has "
                                "played by the last sentence's end") {
  start();
  said("hi");
  tell(sb::llm_token{prov->llm, "One. "});
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(16000, 0x7f)});  // 2 s, playing from now
  tell(sb::tts_done{prov->tts});
  tell(sb::llm_token{prov->llm, "Two."});
  tell(sb::llm_done{prov->llm, "stop", 10, 5});
  REQUIRE(prov->tts_texts.size() == 2);
  wait(1500ms);  // the second sentence's audio comes 1.5 s into playback
  speak_current_sentence(800);
  REQUIRE(tel->has("mark turn-1"));
  // 2.1 s queued, 1.5 s played: 0.6 s left, plus 2 s.
  wait(2599ms);
  CHECK(state() == "RESPONDING");
  wait(1ms);
  CHECK(state() == "LISTENING");
}

TEST_CASE_METHOD(reply_fixture, "reply: the latencies reported are those of virtual time, "
                                "and the console sees them") {
  start();
  said("what time is it");  // the utterance ends; the LLM is asked at once (no pool)
  wait(250ms);
  tell(sb::llm_token{prov->llm, "It is noon. "});  // TTS asked for the sentence now
  wait(100ms);
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(800, 0x7f)});
  REQUIRE(probe->provider_latencies.size() == 2);
  CHECK(probe->provider_latencies[0].provider == sb::provider_kind::llm);
  CHECK(probe->provider_latencies[0].stage == sb::provider_stage::first_token);
  CHECK(probe->provider_latencies[0].took == 250ms);
  CHECK(probe->provider_latencies[1].provider == sb::provider_kind::tts);
  CHECK(probe->provider_latencies[1].stage == sb::provider_stage::first_audio_byte);
  CHECK(probe->provider_latencies[1].took == 100ms);
  CHECK(probe->turn_latencies == std::vector<fake_probe::us>{350ms});
  wait(40ms);
  auto seen = inspect();
  REQUIRE(seen);
  CHECK(seen->since_utterance_end_ms == 390);
  CHECK(seen->since_playback_start_ms == 40);
  tell(sb::llm_done{prov->llm, "stop", 10, 5});
  tell(sb::tts_done{prov->tts});
  tell(sb::tel_mark{"turn-1"});
  REQUIRE(stored->entries.size() == 2);
  CHECK(stored->entries[1].speaker == "agent");
  CHECK(stored->entries[1].latency_ms == 350);
}

TEST_CASE_METHOD(reply_fixture, "reply: no LLM lease by the pool deadline, the apology at "
                                "that very moment") {
  auto llm_pool = make_pool(sb::provider_kind::llm, 1);
  occupy(llm_pool);
  settings([&](sb::call_settings& s) { s.llm = {llm_pool, 3s, sb::exhausted_action::wait}; });
  start();
  said("hello");
  CHECK(prov->llm_requests.empty());
  auto seen = inspect();
  REQUIRE(seen);
  CHECK(seen->state == "THINKING");
  CHECK(seen->pending_acquisitions == 1);
  wait(2999ms);
  CHECK(prov->tts_texts.empty());
  wait(1ms);
  REQUIRE(prov->tts_texts.size() == 1);
  CHECK(prov->tts_texts[0].rfind("Sorry", 0) == 0);
  REQUIRE(probe->fallbacks.size() == 1);
  CHECK(probe->fallbacks[0].first == sb::provider_kind::llm);
  CHECK(stats_of(llm_pool).timeouts == 1);
  // The turn goes on: the apology plays, the call listens again.
  speak_current_sentence();
  tell(sb::tel_mark{"turn-1"});
  CHECK(state() == "LISTENING");
}

TEST_CASE_METHOD(reply_fixture, "reply: no TTS lease by the deadline, the fallback says the "
                                "sentence at that very moment") {
  auto tts_pool = make_pool(sb::provider_kind::tts, 1);
  occupy(tts_pool);
  settings([&](sb::call_settings& s) {
    s.tts = {tts_pool, 2s, sb::exhausted_action::wait};
    s.tts_fallback = sb::call_pool{};
  });
  start();
  said("hello");
  reply("Hi there.");
  wait(1999ms);
  CHECK(prov->tts_texts.empty());
  wait(1ms);
  REQUIRE(prov->tts_texts.size() == 1);
  CHECK(prov->tts_routes[0] == sb::provider_route::fallback);
  REQUIRE(probe->failovers.size() == 1);
  CHECK(probe->failovers[0].first == sb::provider_kind::tts);
  CHECK(probe->failovers[0].second == "no_lease");
  speak_current_sentence();
  CHECK(tel->has("mark turn-1"));
}

TEST_CASE_METHOD(reply_fixture, "reply: how long a TTS request held its lease is virtual "
                                "time, and one slower than slow_threshold is a failure") {
  auto tts_pool = make_pool(sb::provider_kind::tts, 2, [](sb::pool_config& c) {
    c.slow_threshold = 500ms;
    c.failure_threshold = 100;  // the breaker stays closed
  });
  settings([&](sb::call_settings& s) { s.tts = {tts_pool, 2s, sb::exhausted_action::wait}; });
  start();
  said("hello");
  reply("One. Two.");
  REQUIRE(prov->tts_texts.size() == 1);
  wait(400ms);
  speak_current_sentence();  // held 400 ms: fine
  CHECK(stats_of(tts_pool).failures == 0);
  REQUIRE(prov->tts_texts.size() == 2);
  wait(600ms);
  speak_current_sentence();  // held 600 ms: slow
  auto st = stats_of(tts_pool);
  CHECK(st.released == 2);
  CHECK(st.failures == 1);
}
