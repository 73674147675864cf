// The call actor's class (see call_actor.hpp for what it does), private to actors/. One
// class, its member functions defined by stage:
//   call_actor.cpp      construction, the behaviours and the handlers every state shares
//   call_listening.cpp  the start, the STT lease and the audio kept meanwhile, caller
//                       speech and keypad digits up to the end of an utterance, resuming
//   call_reply.cpp      a turn: the LLM request, sentences to TTS (per sentence or one
//                       stream), playback and its mark, barge-in
//   call_failover.cpp   failed streams, revoked leases and pools without a lease in time:
//                       the fallback provider, the apology, a skipped sentence
//   call_ending.cpp     the goodbye at shutdown, the end, and the wait for provider
//                       connections to close so their leases go back
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/actor_cast.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>

#include "actors/call_leases.hpp"
#include "actors/call_state.hpp"
#include "messages/session.hpp"

namespace sb {

class call_actor : public caf::event_based_actor {
public:
  call_actor(caf::actor_config& cfg, call_deps deps);

  const char* name() const override { return "call"; }

protected:
  caf::behavior make_behavior() override;
  void on_exit() override;

private:
  // --- call_actor.cpp: shared by every state ----------------------------------------
  caf::actor self_handle() { return caf::actor_cast<caf::actor>(this); }
  caf::message_handler common_handlers();
  // The one place the call changes state: the state's name (d_.state, for the logic, the
  // snapshots and the console) and its behaviour change together.
  void enter(call_state s);
  void first_reply(call_clock::time_point& sent, provider_kind p, provider_stage stage);
  static int64_t tokens(const llm_done& d);
  void remember(const char* role, const std::string& text);

  // --- call_listening.cpp -------------------------------------------------------------
  caf::message_handler listening_handlers();
  void on_start(tel_start s);
  void greet_or_listen();
  void resume(const session_snapshot& s);
  void save_snapshot();
  void acquire_stt(provider_route route = provider_route::primary);
  void caller_audio(audio_bytes audio);
  void flush_backlog();
  void fresh_backlog();
  void on_dtmf(const tel_dtmf& t);
  void dtmf_done();
  void listen();
  void end_of_utterance();
  void append_heard(const std::string& text);

  // --- call_reply.cpp -----------------------------------------------------------------
  caf::message_handler reply_handlers();       // THINKING and RESPONDING
  caf::message_handler responding_handlers();  // RESPONDING only
  void begin_turn();
  void record_reply(bool interrupted);
  // A reply cut (barge-in, the end): stored as far as the caller heard it.
  void record_cut();
  void ask_llm();
  void apologise();
  void say(std::string sentence);
  // transport = websocket, and the stream has not failed over this turn.
  bool streaming() const { return d_.deps.settings.tts_streaming && !d_.tts_per_sentence; }
  void next_sentence();
  void stream_sentences();
  void open_reply_stream();
  void speak(provider_route route);
  void play(audio_bytes audio);
  void maybe_finish_turn();
  void on_mark(const tel_mark& m);
  void stop_reply();
  void barge_in();

  // --- call_failover.cpp --------------------------------------------------------------
  const call_pool& pool_of(const call_pool& primary, const std::optional<call_pool>& fallback,
                           provider_route route) const;
  bool fail_over(provider_kind kind, provider_route from, const char* reason);
  void exhausted(provider_kind kind, exhausted_action action, const caf::error& err);
  void on_failure(const provider_failure& f);
  void on_revoked(uint64_t lease);

  // --- call_ending.cpp ----------------------------------------------------------------
  caf::message_handler ending_handlers();  // ENDED, without the inspection
  void shut_down(bool at_once);
  void close_with(call_end why, uint16_t code, const std::string& reason);
  void end_call(call_end why, uint16_t code, const std::string& reason);
  void keep_last_words();
  void stream_ended(stream_id id, lease_outcome outcome);

  call_data d_;
  call_leases leases_;
  caf::message_handler common_;
  // One behaviour per state; only enter() switches between them.
  caf::behavior starting_;
  caf::behavior listening_;
  caf::behavior thinking_;
  caf::behavior responding_;
  caf::behavior ending_;
};

} // namespace sb
