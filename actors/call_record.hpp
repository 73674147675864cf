// What one call reports to the transcript batcher (actors/transcript_batcher.hpp): its
// record when it starts and when it ends, and one entry per thing said, the caller's
// utterances and the agent's replies (a reply cut by barge-in flagged interrupted, with
// the sentences that had been handed to speech up to the cut). Owned by the call actor.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "messages/ports.hpp"
#include "messages/telephony.hpp"
#include "messages/transcript.hpp"

namespace sb {

class call_recorder {
public:
  // `batcher` may be invalid: nothing is recorded.
  void attach(caf::actor batcher, std::string node) {
    batcher_ = std::move(batcher);
    rec_.node = std::move(node);
  }

  void started(const tel_start& s, const call_spawn_info& info);
  // The call goes on from a snapshot: it started then (ms since the epoch).
  void resumed(int64_t first_started_at);
  const std::string& call_id() const { return rec_.call_id; }
  // The caller's words of one utterance: from its first final transcript to its end.
  void heard_piece();  // a final transcript arrived (marks the utterance's start)
  // Kept until the reply is heard (first audio, or the reply's end): a caller who goes
  // on talking before any of it is heard makes it part of the next utterance instead.
  void caller_said(uint32_t turn, const std::string& text);
  void caller_went_on();  // that utterance is not finished after all: dropped
  void reply_heard();     // the first audio of the reply went out: the utterance stands
  // An agent reply: what was handed to speech this turn.
  void agent_said(uint32_t turn, const std::string& text, bool interrupted);
  void turn_latency(std::chrono::milliseconds latency);
  void ended(const char* reason, uint32_t turns);

  static int64_t now_ms();

private:
  void send_record();
  caf::actor batcher_;
  call_record rec_;
  transcript_entry pending_caller_;
  bool has_pending_caller_ = false;
  int64_t utterance_started_ = 0;
  int64_t reply_started_ = 0;
  int64_t turn_latency_ms_ = -1;
  std::vector<int64_t> latencies_;
};

} // namespace sb
