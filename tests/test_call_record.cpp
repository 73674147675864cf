// What a call reports for its transcript (actors/call_record), on CAF's test coordinator:
// the record at start and end, the caller's utterances and the agent's replies in order,
// a reply cut by barge-in flagged interrupted with what had been handed to speech, and
// an utterance the caller went on with before any reply was heard kept as one.
#include <catch2/catch.hpp>

#include <variant>

#include <caf/event_based_actor.hpp>

#include "messages/transcript.hpp"
#include "tests/support/call_fixture.hpp"

using namespace std::chrono_literals;
using namespace sb::test::calls;

namespace {

struct reported {
  std::vector<sb::call_record> records;
  std::vector<sb::transcript_entry> entries;
};

struct record_fixture : fixture {
  std::shared_ptr<reported> got = std::make_shared<reported>();
  record_fixture() {
    // (The state goes in as a spawn argument: CAF 0.17 binds a null tuple for a function
    // actor spawned without any.)
    transcripts = sys.spawn(
      [](caf::event_based_actor*, std::shared_ptr<reported> r) -> caf::behavior {
        return {
          [r](sb::call_record& c) { r->records.push_back(c); },
          [r](sb::transcript_entry& e) { r->entries.push_back(e); },
        };
      },
      got);
    respawn(2, [](sb::call_settings&) {});
  }
  ~record_fixture() {
    caf::anon_send_exit(transcripts, caf::exit_reason::kill);
    sched.run();
  }
  void start_call() {
    sb::tel_start s;
    s.stream_sid = "MZ9";
    s.call_sid = "CA9";
    s.params = {{"from", "+15550001"}};
    tell(s);
  }
  std::vector<std::string> stored() const {
    std::vector<std::string> out;
    for (auto& e : got->entries)
      out.push_back(e.speaker + ": " + e.text + (e.interrupted ? " [cut]" : ""));
    return out;
  }
};

} // namespace

TEST_CASE_METHOD(record_fixture, "record: a call's turns in order, and its record at both ends") {
  start_call();
  REQUIRE(got->records.size() == 1);
  CHECK(got->records[0].call_id == "CA9");
  CHECK(got->records[0].status == "active");
  CHECK(got->records[0].from == "+15550001");
  said("what time is it");
  reply("It is noon.");
  speak_current_sentence();
  tell(sb::tel_mark{"turn-1"});
  said("thanks");
  reply("You are welcome.");
  speak_current_sentence();
  tell(sb::tel_mark{"turn-2"});
  tell(sb::tel_stop{});
  CHECK(stored() == std::vector<std::string>{"caller: what time is it", "agent: It is noon.",
                                           "caller: thanks", "agent: You are welcome."});
  CHECK(got->entries[1].turn == 1);
  CHECK(got->entries[3].turn == 2);
  REQUIRE(got->records.size() == 2);
  CHECK(got->records[1].status == "ended");
  CHECK(got->records[1].end_reason == "caller_stop");
  CHECK(got->records[1].turns == 2);
  CHECK(got->records[1].ended_at >= got->records[1].started_at);
}

TEST_CASE_METHOD(record_fixture, "record: a reply cut by barge-in is stored as far as it got") {
  start_call();
  said("tell me a story");
  tell(sb::llm_token{prov->llm, "Once upon a time. "});
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(800, 0x7f)});  // 100 ms of it
  wait(std::chrono::milliseconds{150});  // played whole, but the sentence was not finished
  tell(sb::stt_transcript{prov->stt, "stop", false, false, 0.8});  // barge-in
  said("stop please");
  tell(sb::tel_stop{});  // said, even though no reply came before the end
  CHECK(stored() == std::vector<std::string>{"caller: tell me a story",
                                           "agent: Once upon a time. [cut]",
                                           "caller: stop please"});
}

TEST_CASE_METHOD(record_fixture, "record: a reply is stored as far as the caller heard it") {
  start_call();
  said("tell me a story");
  tell(sb::llm_token{prov->llm, "Once upon a time. "});
  tell(sb::llm_token{prov->llm, "There was a king who had three daughters. "});
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(800, 0x7f)});  // 100 ms: sentence 1
  tell(sb::tts_done{prov->tts});
  CHECK(tel->has("mark turn-1.0"));  // after each sentence's audio
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(3200, 0x7f)});  // 400 ms: sentence 2
  // The caller echoes the first sentence's mark late (its jitter buffer): it has heard
  // sentence 1 then, and 100 ms of the 400 of sentence 2 when it cuts in: 2 of 8 words.
  wait(std::chrono::milliseconds{200});
  tell(sb::tel_mark{"turn-1.0"});
  wait(std::chrono::milliseconds{100});
  tell(sb::stt_transcript{prov->stt, "wait", false, false, 0.8});  // barge-in
  tell(sb::tel_stop{});
  CHECK(stored() == std::vector<std::string>{"caller: tell me a story",
                                           "agent: Once upon a time. There was [cut]"});
}

TEST_CASE_METHOD(record_fixture,
                 "record: speech before any reply was heard is one utterance, not two") {
  start_call();
  said("I want to");
  // The caller goes on before any reply audio: the pending answer is dropped.
  tell(sb::stt_transcript{prov->stt, "change my order", true, true, 0.9});
  reply("Sure.");
  speak_current_sentence();
  tell(sb::tel_mark{"turn-2"});
  tell(sb::tel_stop{});
  CHECK(stored() == std::vector<std::string>{"caller: I want to change my order",
                                           "agent: Sure."});
}

TEST_CASE_METHOD(record_fixture,
                 "record: the apology after a failed LLM is stored as the apology, not as "
                 "the sentences it replaced") {
  start_call();
  said("tell me a story");
  tell(sb::llm_token{prov->llm, "Once upon a time. "});  // its TTS starts
  tell(sb::llm_token{prov->llm, "There was a king. "});   // waits for TTS
  // The LLM fails: the reply so far is cancelled (its TTS too) and the apology spoken.
  tell(sb::provider_failure{prov->llm, sb::provider_kind::llm, sb::failure_kind::http_status,
                            500, -1, "500 server_error"});
  REQUIRE(prov->tts_texts.size() == 2);
  CHECK(prov->tts_texts[1].rfind("Sorry", 0) == 0);
  tell(sb::tts_audio{prov->tts, sb::audio_bytes(1600, 0x7f)});  // the apology's audio
  wait(std::chrono::milliseconds{300});  // all of it has played; its TTS is not done yet
  tell(sb::stt_transcript{prov->stt, "no", false, false, 0.8});  // barge-in
  tell(sb::tel_stop{});
  auto lines = stored();
  REQUIRE(lines.size() == 2);
  INFO(lines[1]);
  // The apology's audio counts for the apology, not for a sentence that was dropped.
  CHECK(lines[1].rfind("agent: Sorry, I could not answer that just now.", 0) == 0);
  CHECK(lines[1].find("king") == std::string::npos);
  CHECK(lines[1].find("Once") == std::string::npos);
}
