#include "actors/call_session.hpp"

#include <caf/send.hpp>

namespace sb {

void call_session::started(const std::string& call_id, const std::string& stream_sid,
                           int64_t now_ms) {
  call_id_ = call_id;
  stream_sid_ = stream_sid;
  started_at_ = now_ms;
}

void call_session::resumed(const session_snapshot& s) {
  if (s.started_at > 0)
    started_at_ = s.started_at;
  resumes_ = s.resumes + 1;
}

void call_session::save(const std::vector<chat_message>& history, uint32_t turn,
                        call_state state, int64_t now_ms) {
  if (!store_ || ended_ || call_id_.empty())
    return;
  session_snapshot s;
  s.call_id = call_id_;
  s.node = node_;
  s.stream_sid = stream_sid_;
  s.history = history;
  s.turn = turn;
  s.state = to_string(state);
  s.started_at = started_at_;
  s.updated_at = now_ms;
  s.resumes = resumes_;
  caf::anon_send(store_, session_put_atom_v, std::move(s));
}

void call_session::ended(call_end why) {
  if (!store_ || ended_ || call_id_.empty())
    return;
  ended_ = true;
  caf::anon_send(store_, session_end_atom_v, call_id_, may_come_back(why));
}

} // namespace sb
