// The call actor's end (see call_actor_impl.hpp): the goodbye when the node stops, the
// end of the call, and the wait in ENDED until its provider connections have closed, so
// their leases go back only once the provider has stopped counting them.
#include "actors/call_actor_impl.hpp"

#include "messages/atoms.hpp"
#include "messages/pool_cluster.hpp"

namespace sb {

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr milliseconds ending_grace{5000};
// Longest the goodbye may take (its TTS lease, synthesis and playback) before the close.
constexpr milliseconds goodbye_limit{10000};

} // namespace

// ENDED: waiting for provider connections to close so their leases go back.
caf::message_handler call_actor::ending_handlers() {
  return {
    // STT answers CloseStream with the transcripts of the audio it still had: the
    // caller's last words go into the transcript too.
    [this](stt_transcript& t) {
      if (t.id == d_.stt && t.is_final && !t.text.empty())
        append_heard(t.text);
    },
    [this](provider_closed& c) { stream_ended(c.id, lease_outcome::unused); },
    [this](provider_failure& f) { stream_ended(f.id, outcome_of(f)); },
    [this](llm_done& d) { stream_ended(d.id, lease_outcome::ok); },
    [this](tts_done& d) { stream_ended(d.id, lease_outcome::ok); },
    [this](pool_revoke_atom, uint64_t lease) {
      auto id = leases_.revoked(caf::actor_cast<caf::actor_addr>(current_sender()), lease);
      if (!id)
        return;
      d_.deps.providers->cancel(id);
      if (!leases_.holding())
        quit();
    },
    [this](playback_timeout_atom, uint64_t turn) {
      if (turn == 0)
        quit();  // the connections did not close in time: the pools reclaim on exit
    },
  };
}

// The node is stopping: cut any reply as barge-in would, say the goodbye, then close.
void call_actor::shut_down(bool at_once) {
  if (d_.state == call_state::ended)
    return;
  if (at_once || d_.deps.settings.goodbye.empty() || !d_.started) {
    close_with(call_end::shutdown, 1001, "the node is shutting down");
    return;
  }
  if (d_.saying_goodbye)
    return;
  if (d_.state == call_state::thinking || d_.state == call_state::responding) {
    if (d_.first_audio)
      d_.deps.telephony->clear(d_.deps.info.session);
    if (d_.llm)
      remember("assistant", d_.reply);
    record_cut();
    stop_reply();
  }
  d_.log.info("call {}: the node is stopping: saying goodbye", d_.deps.info.session);
  d_.saying_goodbye = true;
  begin_turn();
  d_.llm_finished = true;
  say(d_.deps.settings.goodbye);
  delayed_send(this, goodbye_limit, goodbye_timeout_atom_v);
}

void call_actor::close_with(call_end why, uint16_t code, const std::string& reason) {
  d_.deps.telephony->close(d_.deps.info.session, code, reason);
  end_call(why, code, reason);
}

void call_actor::end_call(call_end why, uint16_t code, const std::string& reason) {
  if (d_.state == call_state::ended)
    return;
  enter(call_state::ended);  // ENDED from here, if only until the quit below
  d_.log.info("call {}: ended ({}{}{})", d_.deps.info.session, to_string(why),
               code ? " " + std::to_string(code) : "", reason.empty() ? "" : ": " + reason);
  if (why == call_end::caller_stop)
    d_.deps.telephony->close(d_.deps.info.session, 1000, "stream stopped");
  record_cut();  // a reply still playing when the call ended: as far as it was heard
  keep_last_words();
  if (d_.stt_backlog && d_.stt_backlog->bytes() > 0 && !d_.stt) {
    // It ended before its STT stream opened: what it said never reached a transcript.
    d_.log.warn("call {}: ended before speech-to-text opened: {} ms of the caller's audio "
                "never transcribed", d_.deps.info.session, d_.stt_backlog->kept().count());
    if (d_.deps.probe)
      d_.deps.probe->stt_backlog_dropped(d_.stt_backlog->bytes());
  }
  d_.record.ended(to_string(why), static_cast<uint32_t>(d_.turn));
  d_.ended_why = why;  // the session store hears it at the exit, after STT's last words
  if (d_.deps.probe) {
    d_.deps.probe->call_ended(why);
    d_.deps.probe->call_duration(duration_cast<microseconds>(clock().now() - d_.created));
  }
  leases_.cancel_all();
  stop_reply();
  leases_.cancel(d_.stt_ticket);
  // STT ends the documented way (Deepgram CloseStream): the provider closes the stream
  // and only then does the lease go back, so the next call cannot find the old stream
  // still counted against the limit. An abrupt close would free our side at once,
  // before the provider has seen it. on_exit still cuts it after ending_grace.
  if (d_.stt)
    d_.deps.providers->stt_finish(d_.stt);
  if (!leases_.holding()) {
    quit();
    return;
  }
  // Leases go back when their connections have really closed (bounded wait).
  delayed_send(this, ending_grace, playback_timeout_atom_v, uint64_t{0});
}

// Words heard but never answered (the call ended first): stored all the same, and in the
// snapshot of a call that may come back, to be answered there.
void call_actor::keep_last_words() {
  if (d_.heard.empty())
    return;
  d_.record.caller_said(static_cast<uint32_t>(d_.turn + 1), d_.heard);
  d_.record.reply_heard();
  remember("user", d_.heard);
  d_.heard.clear();
  // (save_snapshot: never while the stored snapshot is still being read, which this
  // history, without it, would overwrite.)
  if (!d_.ended_why || call_session::may_come_back(*d_.ended_why))
    save_snapshot();
}

void call_actor::stream_ended(stream_id id, lease_outcome outcome) {
  if (id == d_.stt)
    keep_last_words();  // the STT stream's last transcripts are in
  leases_.release(id, outcome);
  if (!leases_.holding())
    quit();
}

} // namespace sb
