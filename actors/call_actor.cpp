// The call actor's construction, its behaviours (one per state) and the handlers they
// share. The stages' member functions are in call_listening.cpp, call_reply.cpp,
// call_failover.cpp and call_ending.cpp (see call_actor_impl.hpp).
#include "actors/call_actor.hpp"

#include <caf/actor_system.hpp>

#include "actors/call_actor_impl.hpp"
#include "actors/call_inspect.hpp"
#include "messages/atoms.hpp"
#include "messages/pool_cluster.hpp"

namespace sb {

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

} // namespace

call_actor::call_actor(caf::actor_config& cfg, call_deps deps)
  : caf::event_based_actor(cfg), leases_(this) {
  d_.created = clock().now();
  d_.deps = std::move(deps);
  d_.record.attach(d_.deps.transcripts, d_.deps.node_name);
  d_.session.attach(d_.deps.sessions, d_.deps.node_name);
}

caf::behavior call_actor::make_behavior() {
  set_default_handler(caf::drop);
  if (d_.deps.probe)
    d_.deps.probe->call_started();
  delayed_send(this, d_.deps.settings.start_timeout, start_timeout_atom_v);
  delayed_send(this, d_.deps.settings.max_duration, max_duration_atom_v);
  common_ = common_handlers();
  // Each state's behaviour answers the console's inspection with that state's name.
  auto shared = [this](call_state s) {
    return common_.or_else(inspect_handler(this, d_, leases_, s));
  };
  // STARTING: nothing but the stream's start event moves the call on.
  starting_ = caf::message_handler{[this](tel_start& s) { on_start(std::move(s)); }}
                .or_else(shared(call_state::starting));
  // LISTENING: collect final transcripts until the caller stops speaking.
  listening_ = listening_handlers().or_else(shared(call_state::listening));
  // THINKING (no reply audio yet) and RESPONDING (audio playing): the reply streams;
  // caller speech is barge-in.
  thinking_ = reply_handlers().or_else(shared(call_state::thinking));
  responding_ =
    responding_handlers().or_else(reply_handlers()).or_else(shared(call_state::responding));
  // ENDED: waiting for provider connections to close so their leases go back.
  ending_ = ending_handlers().or_else(inspect_handler(this, d_, leases_, call_state::ended));
  return starting_;  // d_.state starts as STARTING
}

void call_actor::enter(call_state s) {
  d_.state = s;
  switch (s) {
    case call_state::starting: become(starting_); break;
    case call_state::listening: become(listening_); break;
    case call_state::thinking: become(thinking_); break;
    case call_state::responding: become(responding_); break;
    case call_state::ended: become(ending_); break;
  }
}

void call_actor::on_exit() {
  keep_last_words();
  // The end the session store hears: the call's own, or (an actor that exited without
  // ending, e.g. killed) one that keeps the snapshot for a stream that may come back.
  d_.session.ended(d_.ended_why.value_or(call_end::caller_hangup));
  auto& p = *d_.deps.providers;
  for (auto id : {d_.stt, d_.llm, d_.tts})
    if (id)
      p.cancel(id);
}

caf::message_handler call_actor::common_handlers() {
  return {
    [this](tel_media& m) { caller_audio(std::move(m.audio)); },
    [this](audio_routed_atom) {
      // Every frame the edge sent us before this went on to STT: it may send direct now.
      d_.deps.telephony->open_route(d_.deps.info.session);
    },
    [this](tel_stop& s) {
      end_call(call_end::caller_stop, 1000, s.reason.empty() ? "stop" : "stop: " + s.reason);
    },
    [this](tel_closed& c) {
      auto why = c.code == 1000 || c.code == 1001 || c.code == 1005 || c.code == 1006
                   ? call_end::caller_hangup
                   : call_end::protocol_error;
      end_call(why, 0, c.reason);
    },
    [](tel_connected&) {},
    [this](tel_dtmf& t) { on_dtmf(t); },
    [this](dtmf_done_atom, uint64_t seq) {
      if (seq == d_.dtmf_seq)
        dtmf_done();
    },
    [](tel_mark&) {},  // marks of an earlier, interrupted turn
    [this](tel_start&) {
      close_with(call_end::protocol_error, 1008, "a second start event");
    },
    [](provider_opened&) {},
    [](stt_speech_started&) {},
    [](stt_transcript&) {},
    [](stt_utterance_end&) {},
    [this](provider_closed& c) {
      // Only after a cancel or CloseStream: says nothing about the provider's health.
      leases_.release(c.id, lease_outcome::unused);
      if (c.id == d_.stt)
        close_with(call_end::stt_failed, 1011, "speech-to-text stream closed");
    },
    [this](provider_failure& f) { on_failure(f); },
    [this](pool_revoke_atom, uint64_t lease) { on_revoked(lease); },
    [this](llm_done& d) { leases_.release(d.id, lease_outcome::ok, tokens(d)); },
    [this](tts_done& d) { leases_.release(d.id, lease_outcome::ok); },
    [](llm_token&) {},
    [](tts_audio&) {},
    [this](start_timeout_atom) {
      if (!d_.started)
        close_with(call_end::no_start, 1008,
                   "no start event within " +
                     std::to_string(d_.deps.settings.start_timeout.count()) + " ms");
    },
    [this](max_duration_atom) {
      close_with(call_end::max_duration, 1000, "maximum call duration reached");
    },
    [this](call_shutdown_atom, bool at_once) { shut_down(at_once); },
    [this](goodbye_timeout_atom) {
      close_with(call_end::shutdown, 1001, "the node is shutting down");
    },
    [this](playback_timeout_atom, uint64_t turn) {
      // The caller never echoed our mark: assume playback ended.
      if (turn == d_.turn && d_.state == call_state::responding && d_.mark_sent)
        listen();
    },
  };
}

// The first answer to a request sent at `sent`: the provider's latency, reported once.
void call_actor::first_reply(call_clock::time_point& sent, provider_kind p,
                             provider_stage stage) {
  if (sent == call_clock::time_point{})
    return;
  if (d_.deps.probe)
    d_.deps.probe->provider_latency(p, stage,
                                    duration_cast<microseconds>(clock().now() - sent));
  sent = {};
}

int64_t call_actor::tokens(const llm_done& d) {
  auto n = static_cast<int64_t>(d.prompt_tokens) + d.completion_tokens;
  return n > 0 ? n : -1;
}

void call_actor::remember(const char* role, const std::string& text) {
  if (text.empty())
    return;
  d_.history.push_back({role, text});
  auto max = static_cast<size_t>(d_.deps.settings.max_history);
  if (d_.history.size() > max)
    d_.history.erase(d_.history.begin(),
                     d_.history.begin() + static_cast<long>(d_.history.size() - max));
  // The kept history starts with something the caller said.
  while (d_.history.size() > 1 && d_.history.front().role != "user")
    d_.history.erase(d_.history.begin());
}

caf::actor spawn_call(caf::actor_system& sys, call_deps deps) {
  return sys.spawn<call_actor>(std::move(deps));
}

} // namespace sb
