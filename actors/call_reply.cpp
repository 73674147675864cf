// The call actor's reply (see call_actor_impl.hpp): a turn from the LLM request through
// its sentences (a TTS request each, or one stream for the reply) to the audio played and
// the mark that says it has been heard; and barge-in, which cuts it.
#include "actors/call_actor_impl.hpp"

#include "messages/atoms.hpp"

namespace sb {

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

} // namespace

// THINKING (no reply audio yet) and RESPONDING (audio playing): the reply streams;
// caller speech is barge-in.
caf::message_handler call_actor::reply_handlers() {
  return {
    [this](stt_transcript& t) {
      if (t.id != d_.stt || t.text.empty())
        return;
      barge_in();
      if (t.is_final) {
        append_heard(t.text);
        if (t.speech_final)
          end_of_utterance();
      }
    },
    [this](llm_token& t) {
      if (t.id != d_.llm)
        return;
      first_reply(d_.llm_requested, provider_kind::llm, provider_stage::first_token);
      d_.reply += t.text;
      for (auto& s : d_.splitter.feed(t.text))
        say(std::move(s));
    },
    [this](llm_done& done) {
      leases_.release(done.id, lease_outcome::ok, tokens(done));
      if (done.id != d_.llm)
        return;
      d_.llm = 0;
      d_.llm_finished = true;
      if (done.finish_reason == "hangup")
        d_.end_after_reply = call_end::completed;
      else if (done.finish_reason == "handoff")
        d_.end_after_reply = call_end::handoff;
      auto rest = d_.splitter.flush();
      if (!rest.empty())
        say(std::move(rest));
      remember("assistant", d_.reply);
      save_snapshot();  // the whole reply: a stream that comes back need not ask again
      next_sentence();  // a reply stream is finished; otherwise the turn may end
    },
    [this](tts_audio& a) {
      if (a.id != d_.tts)
        return;
      d_.tts_audio = true;
      first_reply(d_.tts_requested, provider_kind::tts, provider_stage::first_audio_byte);
      play(std::move(a.audio));
    },
    [this](tts_done& done) {
      leases_.release(done.id, lease_outcome::ok);
      if (done.id != d_.tts)
        return;
      if (d_.tts_stream) {
        d_.spoken.spread(d_.tts_sent.size());  // one stream spoke them: boundaries by length
        for (size_t i = 0; i < d_.tts_sent.size(); ++i)
          d_.spoken.done(i);
      } else {
        // Its audio is all queued: a mark behind it tells when the caller has heard it.
        d_.spoken.done(d_.tts_index);
        d_.deps.telephony->mark(d_.deps.info.session, "turn-" + std::to_string(d_.turn) +
                                                        "." + std::to_string(d_.tts_index));
      }
      d_.tts = 0;
      d_.tts_stream = false;
      next_sentence();
    },
  };
}

// RESPONDING, ahead of the reply's handlers: the mark echo, and barge-in on voice.
caf::message_handler call_actor::responding_handlers() {
  return {
    [this](tel_mark& m) { on_mark(m); },
    [this](stt_speech_started& e) {
      // call.barge_in = vad: the caller's voice stops the reply before any word of it
      // is transcribed.
      if (e.id == d_.stt && d_.deps.settings.barge_in_on_vad)
        barge_in();
    },
  };
}

void call_actor::begin_turn() {
  ++d_.turn;
  d_.splitter = sentence_splitter{};
  d_.sentences.clear();
  d_.reply.clear();
  d_.said.clear();
  d_.llm_finished = false;
  d_.first_audio = false;
  d_.mark_sent = false;
  d_.audio_queued = milliseconds{0};
  d_.tts_per_sentence = false;
  d_.tts_sent.clear();
  d_.spoken.reset();
  enter(call_state::thinking);
}

// The agent's words of this turn, for the transcript: once, when the reply has played
// or was cut (then what had been handed to speech by the cut).
void call_actor::record_reply(bool interrupted) {
  if (d_.said.empty())
    return;
  d_.record.agent_said(static_cast<uint32_t>(d_.turn), d_.said, interrupted);
  d_.said.clear();
}

// From the audio played and the marks echoed (actors/text/spoken_reply.hpp): whole
// sentences, then the words of the one playing at the cut. Nothing heard, nothing stored.
void call_actor::record_cut() {
  if (d_.said.empty())
    return;
  if (d_.tts_stream)
    d_.spoken.spread(d_.tts_sent.size());  // what the stream was given
  bool whole = false;
  d_.said = d_.spoken.heard(clock().now(), &whole);
  record_reply(!whole);
  d_.said.clear();
}

void call_actor::ask_llm() {
  std::vector<chat_message> msgs;
  msgs.reserve(d_.history.size() + 1);
  size_t chars = 0;
  if (!d_.deps.settings.system_prompt.empty())
    msgs.push_back({"system", d_.deps.settings.system_prompt});
  msgs.insert(msgs.end(), d_.history.begin(), d_.history.end());
  for (auto& m : msgs)
    chars += m.content.size();
  // About four characters a token, plus the reply's budget.
  auto est = static_cast<uint32_t>(chars / 4) + d_.deps.settings.max_tokens;
  auto& use = d_.deps.settings.llm;
  d_.llm_ticket = leases_.acquire(
    use.pool, use.deadline, est,
    [this, use, m = std::move(msgs)](const pool_lease& lease) mutable {
      d_.llm_ticket = 0;
      d_.llm = d_.deps.providers->start_llm(self_handle(), std::move(m), lease.key_index);
      d_.llm_requested = clock().now();
      leases_.bind(d_.llm, use.pool, lease, true);
    },
    [this](const caf::error& err) {
      d_.llm_ticket = 0;
      exhausted(provider_kind::llm, d_.deps.settings.llm.on_exhausted, err);
    });
}

void call_actor::apologise() {
  d_.llm_finished = true;
  d_.sentences.clear();
  say(d_.deps.settings.apology);
}

void call_actor::say(std::string sentence) {
  if (!d_.said.empty())
    d_.said += ' ';
  d_.said += sentence;
  d_.spoken.sentence(sentence);
  d_.sentences.push_back(std::move(sentence));
  next_sentence();
}

// One sentence at a time through TTS, so the audio stays in order; or, streaming, every
// sentence into the reply's one stream as soon as it is written.
void call_actor::next_sentence() {
  if (streaming()) {
    stream_sentences();
    return;
  }
  if (d_.tts || d_.tts_ticket)
    return;
  if (d_.sentences.empty()) {
    maybe_finish_turn();
    return;
  }
  d_.tts_text = std::move(d_.sentences.front());
  d_.sentences.pop_front();
  // The sentence of `spoken` this request speaks (the apology or a goodbye included).
  d_.tts_index = d_.spoken.index_of(d_.tts_text).value_or(d_.spoken.sentences());
  speak(d_.tts_per_sentence ? provider_route::fallback : provider_route::primary);
}

void call_actor::stream_sentences() {
  if (d_.tts_ticket)
    return;
  if (!d_.tts) {
    if (d_.sentences.empty())
      maybe_finish_turn();
    else
      open_reply_stream();
    return;
  }
  while (!d_.sentences.empty()) {
    if (d_.tts_sent.empty() && !d_.tts_audio)
      d_.tts_requested = clock().now();  // the stream's first text: its latency from here
    d_.tts_sent.push_back(d_.sentences.front());
    d_.deps.providers->tts_stream_text(d_.tts, std::move(d_.sentences.front()));
    d_.sentences.pop_front();
  }
  if (d_.llm_finished && !d_.tts_finishing) {
    d_.tts_finishing = true;
    d_.deps.providers->tts_stream_finish(d_.tts);
  }
}

void call_actor::open_reply_stream() {
  auto& use = d_.deps.settings.tts;
  d_.tts_ticket = leases_.acquire(
    use.pool, use.deadline, 0,
    [this, use](const pool_lease& lease) {
      d_.tts_ticket = 0;
      d_.tts_route = provider_route::primary;
      d_.tts_stream = true;
      d_.tts_audio = false;
      d_.tts_finishing = false;
      d_.tts_sent.clear();
      d_.tts = d_.deps.providers->open_tts_stream(self_handle(), lease.key_index);
      leases_.bind(d_.tts, use.pool, lease, true);
      stream_sentences();
    },
    [this](const caf::error& err) {
      d_.tts_ticket = 0;
      if (fail_over(provider_kind::tts, provider_route::primary, "no_lease")) {
        d_.tts_per_sentence = true;  // the rest of this turn, sentence by sentence
        next_sentence();
        return;
      }
      exhausted(provider_kind::tts, d_.deps.settings.tts.on_exhausted, err);
    });
}

// Synthesises d_.tts_text with the stage's provider on `route`.
void call_actor::speak(provider_route route) {
  auto& use = pool_of(d_.deps.settings.tts, d_.deps.settings.tts_fallback, route);
  d_.tts_ticket = leases_.acquire(
    use.pool, use.deadline, 0,
    [this, use, route](const pool_lease& lease) mutable {
      d_.tts_ticket = 0;
      d_.tts_route = route;
      d_.tts_audio = false;
      d_.tts_stream = false;
      d_.tts = d_.deps.providers->start_tts(self_handle(), d_.tts_text, lease.key_index,
                                            route);
      d_.tts_requested = clock().now();
      leases_.bind(d_.tts, use.pool, lease, true);
    },
    [this, route](const caf::error& err) {
      d_.tts_ticket = 0;
      if (fail_over(provider_kind::tts, route, "no_lease")) {
        speak(provider_route::fallback);
        return;
      }
      exhausted(provider_kind::tts, d_.deps.settings.tts.on_exhausted, err);
    });
}

void call_actor::play(audio_bytes audio) {
  if (!d_.first_audio) {
    d_.first_audio = true;
    d_.playback_started = clock().now();
    if (d_.utterance_end != call_clock::time_point{}) {
      auto latency = d_.playback_started - d_.utterance_end;
      if (d_.deps.probe)
        d_.deps.probe->turn_latency(duration_cast<microseconds>(latency));
      d_.record.turn_latency(duration_cast<milliseconds>(latency));
    }
    d_.record.reply_heard();
    enter(call_state::responding);
  }
  d_.audio_queued += milliseconds{audio.size() / 8};
  d_.spoken.audio(d_.tts_stream ? 0 : d_.tts_index, milliseconds{audio.size() / 8},
                  clock().now());
  d_.deps.telephony->play(d_.deps.info.session, std::move(audio));
}

// The turn is over once the LLM is done and every sentence has been synthesised:
// queue a mark behind the audio; the caller echoes it when playback has ended.
void call_actor::maybe_finish_turn() {
  if (!d_.llm_finished || d_.tts || d_.tts_ticket || !d_.sentences.empty() ||
      d_.mark_sent || d_.state == call_state::ended)
    return;
  if (!d_.first_audio) {  // nothing to play (empty reply or every TTS failed)
    d_.said.clear();       // nothing of it was heard: nothing to store
    listen();
    return;
  }
  d_.mark_sent = true;
  d_.deps.telephony->mark(d_.deps.info.session, "turn-" + std::to_string(d_.turn));
  auto played = clock().now() - d_.playback_started;
  auto left = d_.audio_queued - duration_cast<milliseconds>(played);
  delayed_send(this, std::max(left, milliseconds{0}) + milliseconds{2000},
               playback_timeout_atom_v, d_.turn);
}

void call_actor::on_mark(const tel_mark& m) {
  auto turn = "turn-" + std::to_string(d_.turn);
  if (d_.mark_sent && m.name == turn) {
    listen();
    return;
  }
  // "turn-N.K": the caller has heard sentence K of this turn's reply.
  if (m.name.size() > turn.size() + 1 && m.name.compare(0, turn.size(), turn) == 0 &&
      m.name[turn.size()] == '.') {
    auto k = m.name.substr(turn.size() + 1);
    if (!k.empty() && k.size() < 6 && k.find_first_not_of("0123456789") == std::string::npos)
      d_.spoken.played(static_cast<size_t>(std::stoul(k)), clock().now());
  }
}

void call_actor::stop_reply() {
  leases_.cancel(d_.llm_ticket);
  leases_.cancel(d_.tts_ticket);
  d_.llm_ticket = d_.tts_ticket = 0;
  if (d_.llm)
    d_.deps.providers->cancel(d_.llm);  // its lease returns on provider_closed
  if (d_.tts)
    d_.deps.providers->cancel(d_.tts);
  d_.llm = d_.tts = 0;
  d_.tts_stream = false;
  d_.sentences.clear();
}

void call_actor::barge_in() {
  if (d_.saying_goodbye)
    return;  // the call ends after it whatever the caller says
  if (d_.state == call_state::thinking && !d_.first_audio) {
    // The caller is still talking: drop the pending answer and let the next
    // end of utterance ask again with everything said so far.
    if (!d_.history.empty() && d_.history.back().role == "user") {
      d_.heard = d_.history.back().content;
      d_.history.pop_back();
    }
    d_.record.caller_went_on();
    d_.said.clear();  // none of it was heard
  } else {
    if (d_.deps.probe)
      d_.deps.probe->barge_in();
    d_.deps.telephony->clear(d_.deps.info.session);
    // The caller's buffer is emptied and the marks in it come back at once (the reply
    // is sent ahead of its playback): none of them means heard, the turn's last one
    // must not end the turn again.
    d_.mark_sent = false;
    if (d_.llm)
      remember("assistant", d_.reply);  // what was said before the interruption
    record_cut();
  }
  stop_reply();
  listen();
}

} // namespace sb
