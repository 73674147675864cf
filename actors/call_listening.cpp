// The call actor's listening stage (see call_actor_impl.hpp): the start event, the STT
// lease and the caller audio kept while it is pending, final transcripts and keypad
// digits up to the end of an utterance, and resuming from the session store.
#include "actors/call_actor_impl.hpp"

#include "messages/atoms.hpp"

namespace sb {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// The session store answers from memory, or from Redis within its own read timeout.
constexpr milliseconds resume_read_timeout{2000};
// A key press is caller input like speech: it interrupts a reply, and the digits
// pressed in a row reach the LLM as one caller message once no digit followed for
// dtmf_gap (a menu choice, or an account number).
constexpr milliseconds dtmf_gap{1000};

} // namespace

// LISTENING: collect final transcripts until the caller stops speaking.
caf::message_handler call_actor::listening_handlers() {
  return {
    [this](stt_transcript& t) {
      if (t.id != d_.stt)
        return;
      if (t.is_final && !t.text.empty())
        append_heard(t.text);
      if (t.speech_final)
        end_of_utterance();
    },
    [this](stt_utterance_end& e) {
      if (e.id == d_.stt)
        end_of_utterance();
    },
  };
}

// --- the start and the STT lease ---------------------------------------------------

void call_actor::on_start(tel_start s) {
  d_.start = std::move(s);
  d_.started = true;
  d_.log.fields = {d_.start.call_sid, d_.start.stream_sid};
  d_.log.info("call {}: start {} stream {} call {} ({}, {} Hz){}", d_.deps.info.session,
               to_string(d_.deps.info.kind), d_.start.stream_sid, d_.start.call_sid,
               to_string(d_.start.encoding), d_.start.sample_rate,
               d_.deps.info.route.empty() ? "" : " route " + d_.deps.info.route);
  d_.record.started(d_.start, d_.deps.info);
  d_.session.started(d_.record.call_id(), d_.start.stream_sid, call_recorder::now_ms());
  fresh_backlog();
  d_.stt_wait_started = clock().now();
  acquire_stt();
  if (!d_.session.enabled()) {
    greet_or_listen();
    return;
  }
  // A stream that comes back (same call sid) goes on from its snapshot. Meanwhile the
  // call listens: its audio goes to STT, and a turn that ends waits for the answer.
  d_.resume_pending = true;
  listen();
  request(d_.session.store(), resume_read_timeout, session_get_atom_v, d_.session.call_id())
    .then([this](session_snapshot& s) { resume(s); },
          [this](caf::error&) { resume(session_snapshot{}); });
}

void call_actor::greet_or_listen() {
  if (!d_.deps.settings.greeting.empty()) {
    begin_turn();
    d_.llm_finished = true;
    remember("assistant", d_.deps.settings.greeting);
    say(d_.deps.settings.greeting);
    return;
  }
  listen();
}

void call_actor::resume(const session_snapshot& s) {
  d_.resume_pending = false;
  if (d_.state == call_state::ended)
    return;
  if (s.found) {
    d_.history = s.history;
    if (!d_.saying_goodbye)  // the goodbye's turn (and its mark) stays as it is
      d_.turn = s.turn;
    d_.session.resumed(s);
    d_.record.resumed(s.started_at);
    d_.log.info("call {}: resumed from its snapshot (node {}, turn {}, {} messages, "
                "resumed {} times before)",
                d_.deps.info.session, s.node, s.turn, s.history.size(), s.resumes);
    if (d_.deps.probe)
      d_.deps.probe->call_resumed();
  }
  if (d_.saying_goodbye)
    return;  // the node stopped meanwhile: the goodbye plays, nothing else
  if (d_.utterance_waiting) {  // the caller has spoken: answer that, not a greeting
    d_.utterance_waiting = false;
    end_of_utterance();
    return;
  }
  if (!s.found) {
    greet_or_listen();
  } else if (!d_.history.empty() && d_.history.back().role == "user") {
    // Its last words were never answered (the stream broke, or the node stopped, first).
    begin_turn();
    save_snapshot();
    ask_llm();
  } else {
    save_snapshot();
  }
}

void call_actor::save_snapshot() {
  if (!d_.resume_pending)
    d_.session.save(d_.history, static_cast<uint32_t>(d_.turn), d_.state,
                    call_recorder::now_ms());
}

void call_actor::acquire_stt(provider_route route) {
  auto& use = pool_of(d_.deps.settings.stt, d_.deps.settings.stt_fallback, route);
  d_.stt_ticket = leases_.acquire(
    use.pool, use.deadline, 0,
    [this, use, route](const pool_lease& lease) {
      d_.stt_ticket = 0;
      d_.stt_route = route;
      d_.stt = d_.deps.providers->open_stt(self_handle(), d_.start.encoding, lease.key_index,
                                           route);
      leases_.bind(d_.stt, use.pool, lease, false);
      flush_backlog();
      if (d_.stt)
        d_.deps.telephony->route_audio(d_.deps.info.session, d_.stt);
    },
    [this, route](const caf::error& err) {
      d_.stt_ticket = 0;
      if (fail_over(provider_kind::stt, route, "no_lease")) {
        acquire_stt(provider_route::fallback);
        return;
      }
      exhausted(provider_kind::stt, d_.deps.settings.stt.on_exhausted, err);
    });
}

void call_actor::caller_audio(audio_bytes audio) {
  if (d_.stt) {
    d_.deps.providers->stt_audio(d_.stt, std::move(audio));
    return;
  }
  if (!d_.stt_backlog)
    return;  // no start yet: the codec lets no media through before it
  // Waiting for a lease: keep every word (long silences shortened), up to stt_buffer.
  auto& b = *d_.stt_backlog;
  auto dropped = b.dropped_bytes();
  b.push(std::move(audio));
  if (b.dropped_bytes() == dropped)
    return;
  if (d_.deps.probe)
    d_.deps.probe->stt_backlog_dropped(b.dropped_bytes() - dropped);
  if (!d_.backlog_full_logged) {
    d_.backlog_full_logged = true;
    d_.log.warn("call {}: waited so long for speech-to-text that the {} ms of audio "
                 "kept (call.stt_buffer) is full: the oldest audio goes from now on",
                 d_.deps.info.session, d_.deps.settings.stt_buffer.count());
  }
}

// The STT stream is open: the kept audio goes first, at once (the provider takes it
// faster than real time), then the live audio behind it.
void call_actor::flush_backlog() {
  if (!d_.stt_backlog)
    return;
  auto waited_ms =
    duration_cast<milliseconds>(clock().now() - d_.stt_wait_started).count();
  auto& b = *d_.stt_backlog;
  auto kept = b.kept();
  if (d_.deps.probe && b.trimmed().count() > 0)
    d_.deps.probe->stt_backlog_trimmed(b.trimmed());
  if (waited_ms > 1000 || b.dropped().count() > 0)
    d_.log.info("call {}: speech-to-text after {} ms: sending {} ms of kept audio "
                 "({} ms of silence left out, {} ms dropped of which {} ms speech)",
                 d_.deps.info.session, waited_ms, kept.count(), b.trimmed().count(),
                 b.dropped().count(), b.speech_dropped().count());
  for (auto& a : b.take())
    d_.deps.providers->stt_audio(d_.stt, std::move(a));
  fresh_backlog();
}

void call_actor::fresh_backlog() {
  d_.stt_backlog.emplace(d_.start.encoding,
                         audio_backlog::limits{d_.deps.settings.stt_buffer,
                                               d_.deps.settings.stt_buffer_silence});
  d_.backlog_full_logged = false;
}

// --- keypad ---------------------------------------------------------------------

void call_actor::on_dtmf(const tel_dtmf& t) {
  if (!d_.started || d_.state == call_state::ended)
    return;
  d_.log.info("call {}: keypad {}", d_.deps.info.session, t.digit);
  if (d_.state == call_state::thinking || d_.state == call_state::responding)
    barge_in();
  d_.dtmf += t.digit.substr(0, 8);
  delayed_send(this, dtmf_gap, dtmf_done_atom_v, ++d_.dtmf_seq);
}

void call_actor::dtmf_done() {
  if (d_.dtmf.empty())
    return;
  std::string digits;
  for (char c : d_.dtmf) {
    if (!digits.empty())
      digits += ' ';
    digits += c;
  }
  d_.dtmf.clear();
  append_heard("(The caller pressed " + digits + " on the keypad.)");
  if (d_.state == call_state::listening)
    end_of_utterance();
}

// --- caller speech ----------------------------------------------------------------

void call_actor::listen() {
  if (d_.end_after_reply) {  // the dialog's last prompt has been heard (or was cut)
    record_reply(false);
    auto why = *d_.end_after_reply;
    close_with(why, 1000,
               why == call_end::handoff ? "handed off to an agent" : "the dialog ended the call");
    return;
  }
  if (d_.saying_goodbye) {  // it has been heard (or could not be said): the end
    record_reply(false);
    close_with(call_end::shutdown, 1001, "the node is shutting down");
    return;
  }
  record_reply(false);
  enter(call_state::listening);
  save_snapshot();
}

void call_actor::end_of_utterance() {
  if (d_.heard.empty())
    return;
  if (d_.resume_pending) {  // its history comes first
    d_.utterance_waiting = true;
    return;
  }
  if (d_.saying_goodbye) {
    // No answer now, but the words are kept: in the transcript, and in the snapshot
    // for a stream that comes back elsewhere (the LLM answers them there).
    d_.record.caller_said(static_cast<uint32_t>(d_.turn), d_.heard);
    remember("user", d_.heard);
    d_.heard.clear();
    save_snapshot();
    return;
  }
  d_.utterance_end = clock().now();
  d_.record.caller_said(static_cast<uint32_t>(d_.turn + 1), d_.heard);
  remember("user", d_.heard);
  d_.heard.clear();
  begin_turn();
  save_snapshot();
  ask_llm();
}

void call_actor::append_heard(const std::string& text) {
  d_.record.heard_piece();
  if (!d_.heard.empty())
    d_.heard += ' ';
  d_.heard += text;
}

} // namespace sb
