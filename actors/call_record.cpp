#include "actors/call_record.hpp"

#include <algorithm>

#include <caf/send.hpp>

namespace sb {

int64_t call_recorder::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void call_recorder::send_record() {
  if (batcher_)
    caf::anon_send(batcher_, rec_);
}

void call_recorder::started(const tel_start& s, const call_spawn_info& info) {
  rec_.call_id = s.call_sid.empty() ? s.stream_sid : s.call_sid;
  rec_.dialect = to_string(info.kind);
  rec_.stream_sid = s.stream_sid;
  auto param = [&](const char* k) {
    auto i = s.params.find(k);
    return i == s.params.end() ? std::string{} : i->second;
  };
  rec_.from = s.from.empty() ? param("from") : s.from;
  rec_.to = s.to.empty() ? param("to") : s.to;
  rec_.agent = info.route;
  rec_.started_at = now_ms();
  rec_.status = "active";
  send_record();
}

void call_recorder::resumed(int64_t first_started_at) {
  if (first_started_at <= 0 || first_started_at == rec_.started_at)
    return;
  rec_.started_at = first_started_at;
  send_record();
}

void call_recorder::heard_piece() {
  if (utterance_started_ == 0)
    utterance_started_ = now_ms();
}

void call_recorder::caller_said(uint32_t turn, const std::string& text) {
  auto now = now_ms();
  reply_heard();  // an earlier utterance still pending (never the case in order) stands
  pending_caller_ = transcript_entry{rec_.call_id, turn, "caller", text,
                                     utterance_started_ ? utterance_started_ : now, now,
                                     false, -1};
  has_pending_caller_ = !text.empty();
  utterance_started_ = 0;
  reply_started_ = now;
  turn_latency_ms_ = -1;
}

void call_recorder::caller_went_on() {
  // The next caller_said carries the whole utterance; keep when it began.
  if (has_pending_caller_)
    utterance_started_ = pending_caller_.started_at;
  has_pending_caller_ = false;
  pending_caller_ = {};
}

void call_recorder::reply_heard() {
  if (!has_pending_caller_)
    return;
  if (batcher_)
    caf::anon_send(batcher_, pending_caller_);
  has_pending_caller_ = false;
  pending_caller_ = {};
}

void call_recorder::turn_latency(std::chrono::milliseconds latency) {
  turn_latency_ms_ = latency.count();
  latencies_.push_back(latency.count());
}

void call_recorder::agent_said(uint32_t turn, const std::string& text, bool interrupted) {
  reply_heard();
  auto now = now_ms();
  if (batcher_ && !text.empty())
    caf::anon_send(batcher_, transcript_entry{rec_.call_id, turn, "agent", text,
                                              reply_started_ ? reply_started_ : now, now,
                                              interrupted, turn_latency_ms_});
  reply_started_ = 0;
  turn_latency_ms_ = -1;
}

void call_recorder::ended(const char* reason, uint32_t turns) {
  if (rec_.call_id.empty())
    return;  // never started: there is no call to record
  reply_heard();  // said, even if no reply came
  rec_.ended_at = now_ms();
  rec_.status = "ended";
  rec_.end_reason = reason;
  rec_.turns = turns;
  if (!latencies_.empty()) {
    auto sorted = latencies_;
    std::sort(sorted.begin(), sorted.end());
    rec_.latency_p50_ms = sorted[(sorted.size() - 1) / 2];
    rec_.latency_max_ms = sorted.back();
  }
  send_record();
}

} // namespace sb
