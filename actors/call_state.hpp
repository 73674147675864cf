// State of one call actor (see call_actor.hpp). Private to actors/.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_clock.hpp>

#include "actors/audio/backlog.hpp"
#include "actors/call_actor.hpp"
#include "actors/call_record.hpp"
#include "actors/call_session.hpp"
#include "actors/text/sentence_splitter.hpp"
#include "actors/text/spoken_reply.hpp"
#include "messages/log_fields.hpp"

namespace sb {

// Every time a call reads is its actor's clock (`clock().now()`): the wall's steady clock
// in a node, virtual time on CAF's test coordinator (tests move it with advance_time).
// The time points below are unset while default (the test clock starts at 1 ns).
// Only the transcript's timestamps (call_recorder::now_ms) are the wall clock's.
using call_clock = caf::actor_clock;

struct call_data {
  call_deps deps;
  call_clock::time_point created;  // for inspection and the call duration
  call_state state = call_state::starting;  // written only by call_actor::enter()
  tel_start start;
  bool started = false;
  field_logger log;  // every line about this call: with its call id and stream sid
  call_recorder record;  // what the transcript store gets
  call_session session;  // what the session store keeps
  // Reading the session store at start: a turn waits for the snapshot (its history
  // goes before the caller's new words).
  bool resume_pending = false;
  bool utterance_waiting = false;
  bool saying_goodbye = false;  // the node is stopping: the goodbye plays, then the end
  // Why the call ended: the session store hears it when the actor exits (after STT's last
  // words are in the snapshot).
  std::optional<call_end> ended_why;
  // The reply's LLM asked to end the call once the reply has been heard (the scripted
  // dialog's hang-up and hand-off: llm_done's finish_reason "hangup" / "handoff").
  std::optional<call_end> end_after_reply;

  stream_id stt = 0;
  stream_id llm = 0;
  stream_id tts = 0;
  provider_route stt_route = provider_route::primary;  // the provider of each open stream
  provider_route tts_route = provider_route::primary;
  std::string tts_text;     // the sentence the TTS stream speaks
  size_t tts_index = 0;     // its index in `spoken` (a stream's audio counts as the first's)
  bool tts_audio = false;   // some of its audio came (a retry elsewhere would repeat it)
  // transport = websocket: `tts` is the reply's stream; the sentences handed to it.
  bool tts_stream = false;
  bool tts_finishing = false;
  std::deque<std::string> tts_sent;
  bool tts_per_sentence = false;  // this turn: the stream failed over to the fallback
  uint64_t stt_ticket = 0;  // acquisitions in flight (0 = none)
  uint64_t llm_ticket = 0;
  uint64_t tts_ticket = 0;
  std::optional<audio_backlog> stt_backlog;  // caller audio while waiting for STT
  bool backlog_full_logged = false;
  call_clock::time_point stt_wait_started{};

  std::vector<chat_message> history;  // without the system prompt
  std::string heard;                  // final transcripts of the utterance in progress
  std::string dtmf;                   // keypad digits not yet handed to the LLM
  uint64_t dtmf_seq = 0;

  // The reply in progress.
  uint64_t turn = 0;
  sentence_splitter splitter;
  std::deque<std::string> sentences;  // waiting for TTS
  std::string reply;                  // LLM text so far
  std::string said;                   // sentences handed to speech this turn
  spoken_reply spoken;                // what of them the caller has heard (for a cut)
  bool llm_finished = false;
  bool first_audio = false;
  bool mark_sent = false;
  std::chrono::milliseconds audio_queued{0};
  call_clock::time_point utterance_end{};
  call_clock::time_point playback_started{};
  // When the LLM / TTS request in flight was sent; cleared at its first token / audio,
  // which is reported as the provider's latency (once per request).
  call_clock::time_point llm_requested{};
  call_clock::time_point tts_requested{};
};

} // namespace sb
