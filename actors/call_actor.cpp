#include "actors/call_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>
#include <spdlog/spdlog.h>

#include "actors/call_inspect.hpp"
#include "actors/call_leases.hpp"
#include "actors/call_state.hpp"
#include "messages/atoms.hpp"
#include "messages/pool_cluster.hpp"
#include "messages/session.hpp"

namespace sb {

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr milliseconds ending_grace{5000};
// The session store answers from memory, or from Redis within its own read timeout.
constexpr milliseconds resume_read_timeout{2000};
// Longest the goodbye may take (its TTS lease, synthesis and playback) before the close.
constexpr milliseconds goodbye_limit{10000};

class call_actor : public caf::event_based_actor {
public:
  call_actor(caf::actor_config& cfg, call_deps deps)
    : caf::event_based_actor(cfg), leases_(this) {
    d_.deps = std::move(deps);
    d_.record.attach(d_.deps.transcripts, d_.deps.node_name);
    d_.session.attach(d_.deps.sessions, d_.deps.node_name);
  }

  const char* name() const override { return "call"; }

protected:
  caf::behavior make_behavior() override {
    set_default_handler(caf::drop);
    if (d_.deps.probe)
      d_.deps.probe->call_started();
    delayed_send(this, d_.deps.settings.start_timeout, start_timeout_atom_v);
    delayed_send(this, d_.deps.settings.max_duration, max_duration_atom_v);
    common_ = common_handlers().or_else(inspect_handler(this, d_, leases_));
    // STARTING: nothing but the stream's start event moves the call on.
    starting_ = caf::message_handler{[this](tel_start& s) { on_start(std::move(s)); }}
                  .or_else(common_);
    // LISTENING: collect final transcripts until the caller stops speaking.
    listening_ = caf::message_handler{
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
    }.or_else(common_);
    // THINKING (no reply audio yet) and RESPONDING (audio playing): the reply streams;
    // caller speech is barge-in.
    auto replying = reply_handlers();
    thinking_ = replying.or_else(common_);
    responding_ = caf::message_handler{
      [this](tel_mark& m) { on_mark(m); },
      [this](stt_speech_started& e) {
        // call.barge_in = vad: the caller's voice stops the reply before any word of it
        // is transcribed.
        if (e.id == d_.stt && d_.deps.settings.barge_in_on_vad)
          barge_in();
      },
    }.or_else(replying).or_else(common_);
    // ENDED: waiting for provider connections to close so their leases go back.
    ending_ = caf::message_handler{
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
    }.or_else(inspect_handler(this, d_, leases_));
    return starting_;
  }

  void on_exit() override {
    d_.state = call_state::ended;
    keep_last_words();
    auto& p = *d_.deps.providers;
    for (auto id : {d_.stt, d_.llm, d_.tts})
      if (id)
        p.cancel(id);
  }

private:
  caf::actor self_handle() { return caf::actor_cast<caf::actor>(this); }

  caf::message_handler common_handlers() {
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

  caf::message_handler reply_handlers() {
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
        d_.tts = 0;
        d_.tts_stream = false;
        next_sentence();
      },
    };
  }

  // The first answer to a request sent at `sent`: the provider's latency, reported once.
  void first_reply(call_clock::time_point& sent, provider_kind p, provider_stage stage) {
    if (sent == call_clock::time_point{})
      return;
    if (d_.deps.probe)
      d_.deps.probe->provider_latency(p, stage,
                                      duration_cast<microseconds>(call_clock::now() - sent));
    sent = {};
  }

  static int64_t tokens(const llm_done& d) {
    auto n = static_cast<int64_t>(d.prompt_tokens) + d.completion_tokens;
    return n > 0 ? n : -1;
  }

  // --- speech-to-text ------------------------------------------------------------

  void on_start(tel_start s) {
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
    d_.stt_wait_started = call_clock::now();
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

  void greet_or_listen() {
    if (!d_.deps.settings.greeting.empty()) {
      begin_turn();
      d_.llm_finished = true;
      remember("assistant", d_.deps.settings.greeting);
      say(d_.deps.settings.greeting);
      return;
    }
    listen();
  }

  void resume(const session_snapshot& s) {
    d_.resume_pending = false;
    if (d_.state == call_state::ended)
      return;
    if (s.found) {
      d_.history = s.history;
      d_.turn = s.turn;
      d_.session.resumed(s);
      d_.record.resumed(s.started_at);
      d_.log.info("call {}: resumed from its snapshot (node {}, turn {}, {} messages, "
                  "resumed {} times before)",
                  d_.deps.info.session, s.node, s.turn, s.history.size(), s.resumes);
      if (d_.deps.probe)
        d_.deps.probe->call_resumed();
    }
    if (d_.utterance_waiting) {  // the caller has spoken: answer that, not a greeting
      d_.utterance_waiting = false;
      end_of_utterance();
      return;
    }
    if (!s.found)
      greet_or_listen();
    else
      save_snapshot();
  }

  void save_snapshot() {
    if (!d_.resume_pending)
      d_.session.save(d_.history, static_cast<uint32_t>(d_.turn), d_.state,
                      call_recorder::now_ms());
  }

  const call_pool& pool_of(const call_pool& primary, const std::optional<call_pool>& fallback,
                           provider_route route) const {
    return route == provider_route::fallback && fallback ? *fallback : primary;
  }

  // Whether the stage goes on with its fallback provider (and counts it).
  bool fail_over(provider_kind kind, provider_route from, const char* reason) {
    auto& fb = kind == provider_kind::stt ? d_.deps.settings.stt_fallback
                                          : d_.deps.settings.tts_fallback;
    if (from == provider_route::fallback || !fb)
      return false;
    d_.log.info("call {}: {} goes to its fallback provider ({})", d_.deps.info.session,
                 to_string(kind), reason);
    if (d_.deps.probe)
      d_.deps.probe->failover(kind, reason);
    return true;
  }

  void acquire_stt(provider_route route = provider_route::primary) {
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

  void caller_audio(audio_bytes audio) {
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
  void flush_backlog() {
    if (!d_.stt_backlog)
      return;
    auto waited_ms =
      duration_cast<milliseconds>(call_clock::now() - d_.stt_wait_started).count();
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

  void fresh_backlog() {
    d_.stt_backlog.emplace(d_.start.encoding,
                           audio_backlog::limits{d_.deps.settings.stt_buffer,
                                                 d_.deps.settings.stt_buffer_silence});
    d_.backlog_full_logged = false;
  }

  // A pool had no lease for us in time.
  void exhausted(provider_kind kind, exhausted_action action, const caf::error& err) {
    auto why = system().render(err);
    d_.log.warn("call {}: no {} lease ({}): {}", d_.deps.info.session, to_string(kind), why,
                 to_string(action));
    if (d_.deps.probe)
      d_.deps.probe->fallback(kind, action);
    if (action == exhausted_action::end) {
      close_with(call_end::capacity, 4503,
                 std::string(to_string(kind)) + " capacity exhausted: " + why);
      return;
    }
    switch (kind) {
      case provider_kind::stt:
        if (action == exhausted_action::hold)
          d_.deps.telephony->play(d_.deps.info.session, d_.deps.settings.hold_audio);
        acquire_stt();  // keep waiting; the caller's latest audio stays buffered
        break;
      case provider_kind::llm:
        apologise();
        break;
      case provider_kind::tts:
        if (streaming())
          d_.sentences.clear();  // the sentences waiting for the stream are skipped
        next_sentence();  // skip this sentence
        break;
    }
  }

  // --- keypad ---------------------------------------------------------------------

  // A key press is caller input like speech: it interrupts a reply, and the digits
  // pressed in a row reach the LLM as one caller message once no digit followed for
  // dtmf_gap (a menu choice, or an account number).
  static constexpr milliseconds dtmf_gap{1000};

  void on_dtmf(const tel_dtmf& t) {
    if (!d_.started || d_.state == call_state::ended)
      return;
    d_.log.info("call {}: keypad {}", d_.deps.info.session, t.digit);
    if (d_.state == call_state::thinking || d_.state == call_state::responding)
      barge_in();
    d_.dtmf += t.digit.substr(0, 8);
    delayed_send(this, dtmf_gap, dtmf_done_atom_v, ++d_.dtmf_seq);
  }

  void dtmf_done() {
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

  // --- turns ----------------------------------------------------------------------

  void listen() {
    if (d_.saying_goodbye) {  // it has been heard (or could not be said): the end
      record_reply(false);
      close_with(call_end::shutdown, 1001, "the node is shutting down");
      return;
    }
    record_reply(false);
    d_.state = call_state::listening;
    become(listening_);
    save_snapshot();
  }

  void begin_turn() {
    ++d_.turn;
    d_.state = call_state::thinking;
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
    become(thinking_);
  }

  // The agent's words of this turn, for the transcript: once, when the reply has played
  // or was cut (then what had been handed to speech by the cut).
  void record_reply(bool interrupted) {
    if (d_.said.empty())
      return;
    d_.record.agent_said(static_cast<uint32_t>(d_.turn), d_.said, interrupted);
    d_.said.clear();
  }

  void end_of_utterance() {
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
      d_.session.save(d_.history, static_cast<uint32_t>(d_.turn), d_.state,
                      call_recorder::now_ms());
      return;
    }
    d_.utterance_end = call_clock::now();
    d_.record.caller_said(static_cast<uint32_t>(d_.turn + 1), d_.heard);
    remember("user", d_.heard);
    d_.heard.clear();
    begin_turn();
    save_snapshot();
    ask_llm();
  }

  void ask_llm() {
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
        d_.llm_requested = call_clock::now();
        leases_.bind(d_.llm, use.pool, lease, true);
      },
      [this](const caf::error& err) {
        d_.llm_ticket = 0;
        exhausted(provider_kind::llm, d_.deps.settings.llm.on_exhausted, err);
      });
  }

  void apologise() {
    d_.llm_finished = true;
    d_.sentences.clear();
    say(d_.deps.settings.apology);
  }

  void append_heard(const std::string& text) {
    d_.record.heard_piece();
    if (!d_.heard.empty())
      d_.heard += ' ';
    d_.heard += text;
  }

  void remember(const char* role, const std::string& text) {
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

  void say(std::string sentence) {
    if (!d_.said.empty())
      d_.said += ' ';
    d_.said += sentence;
    d_.sentences.push_back(std::move(sentence));
    next_sentence();
  }

  // transport = websocket, and the stream has not failed over this turn.
  bool streaming() const { return d_.deps.settings.tts_streaming && !d_.tts_per_sentence; }

  // One sentence at a time through TTS, so the audio stays in order; or, streaming, every
  // sentence into the reply's one stream as soon as it is written.
  void next_sentence() {
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
    speak(d_.tts_per_sentence ? provider_route::fallback : provider_route::primary);
  }

  void stream_sentences() {
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
        d_.tts_requested = call_clock::now();  // the stream's first text: its latency from here
      d_.tts_sent.push_back(d_.sentences.front());
      d_.deps.providers->tts_stream_text(d_.tts, std::move(d_.sentences.front()));
      d_.sentences.pop_front();
    }
    if (d_.llm_finished && !d_.tts_finishing) {
      d_.tts_finishing = true;
      d_.deps.providers->tts_stream_finish(d_.tts);
    }
  }

  void open_reply_stream() {
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
  void speak(provider_route route) {
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
        d_.tts_requested = call_clock::now();
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

  void play(audio_bytes audio) {
    if (!d_.first_audio) {
      d_.first_audio = true;
      d_.playback_started = call_clock::now();
      if (d_.utterance_end != call_clock::time_point{}) {
        auto latency = d_.playback_started - d_.utterance_end;
        if (d_.deps.probe)
          d_.deps.probe->turn_latency(duration_cast<microseconds>(latency));
        d_.record.turn_latency(duration_cast<milliseconds>(latency));
      }
      d_.record.reply_heard();
      d_.state = call_state::responding;
      become(responding_);
    }
    d_.audio_queued += milliseconds{audio.size() / 8};
    d_.deps.telephony->play(d_.deps.info.session, std::move(audio));
  }

  // The turn is over once the LLM is done and every sentence has been synthesised:
  // queue a mark behind the audio; the caller echoes it when playback has ended.
  void maybe_finish_turn() {
    if (!d_.llm_finished || d_.tts || d_.tts_ticket || !d_.sentences.empty() ||
        d_.mark_sent || d_.state == call_state::ended)
      return;
    if (!d_.first_audio) {  // nothing to play (empty reply or every TTS failed)
      listen();
      return;
    }
    d_.mark_sent = true;
    d_.deps.telephony->mark(d_.deps.info.session, "turn-" + std::to_string(d_.turn));
    auto played = call_clock::now() - d_.playback_started;
    auto left = d_.audio_queued - duration_cast<milliseconds>(played);
    delayed_send(this, std::max(left, milliseconds{0}) + milliseconds{2000},
                 playback_timeout_atom_v, d_.turn);
  }

  void on_mark(const tel_mark& m) {
    if (d_.mark_sent && m.name == "turn-" + std::to_string(d_.turn))
      listen();
  }

  void stop_reply() {
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

  void barge_in() {
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
      if (d_.llm)
        remember("assistant", d_.reply);  // what was said before the interruption
      record_reply(true);
    }
    stop_reply();
    listen();
  }

  void on_failure(const provider_failure& f) {
    leases_.release(f.id, outcome_of(f), -1, f.retry_after_ms);
    if (d_.deps.probe)
      d_.deps.probe->provider_failed(f.provider, f.kind);
    if (f.id == d_.stt) {
      d_.stt = 0;
      // Its reconnects were used up: the fallback provider listens from here on. What
      // the caller says meanwhile is kept as while waiting for the first lease.
      if (fail_over(provider_kind::stt, d_.stt_route, "failed")) {
        d_.log.warn("call {}: speech-to-text failed ({}: {}), going on with the fallback",
                     d_.deps.info.session, to_string(f.kind), f.detail);
        d_.deps.telephony->unroute_audio(d_.deps.info.session);
        d_.stt_wait_started = call_clock::now();
        acquire_stt(provider_route::fallback);
        return;
      }
      close_with(call_end::stt_failed, 1011,
                 std::string("speech-to-text unavailable: ") + to_string(f.kind) + " " +
                   f.detail);
    } else if (f.id == d_.llm) {
      d_.llm = 0;
      d_.log.warn("call {}: LLM failed ({}: {}), apologising", d_.deps.info.session,
                   to_string(f.kind), f.detail);
      if (d_.tts)
        d_.deps.providers->cancel(d_.tts);
      d_.tts = 0;
      leases_.cancel(d_.tts_ticket);
      d_.tts_ticket = 0;
      apologise();
    } else if (f.id == d_.tts && d_.tts_stream) {
      d_.tts = 0;
      d_.tts_stream = false;
      // Nothing of the reply was heard yet: its sentences go to the fallback one by one.
      if (!d_.tts_audio && fail_over(provider_kind::tts, provider_route::primary, "failed")) {
        d_.log.warn("call {}: TTS stream failed ({}: {}), the fallback says the reply",
                     d_.deps.info.session, to_string(f.kind), f.detail);
        for (auto i = d_.tts_sent.rbegin(); i != d_.tts_sent.rend(); ++i)
          d_.sentences.push_front(std::move(*i));
        d_.tts_sent.clear();
        d_.tts_per_sentence = true;
        next_sentence();
        return;
      }
      d_.log.warn("call {}: TTS stream failed ({}: {}), {} sentence(s) of the reply unsaid",
                   d_.deps.info.session, to_string(f.kind), f.detail, d_.tts_sent.size());
      d_.tts_sent.clear();
      next_sentence();  // what the LLM writes from now on goes to a new stream
    } else if (f.id == d_.tts) {
      d_.tts = 0;
      // None of the sentence was heard yet: the fallback provider says it instead.
      if (!d_.tts_audio && fail_over(provider_kind::tts, d_.tts_route, "failed")) {
        d_.log.warn("call {}: TTS failed ({}: {}), saying the sentence with the fallback",
                     d_.deps.info.session, to_string(f.kind), f.detail);
        speak(provider_route::fallback);
        return;
      }
      d_.log.warn("call {}: TTS failed ({}: {}), skipping a sentence", d_.deps.info.session,
                   to_string(f.kind), f.detail);
      next_sentence();
    }
  }

  // A cluster-wide pool revoked a lease: this node could not renew it with the pool's
  // home in time, so the home may soon grant it again. The stream closes at once (not
  // the graceful CloseStream: the provider must stop counting it now) and the call
  // degrades as for a lease it could not get (on_exhausted).
  void on_revoked(uint64_t lease) {
    auto id = leases_.revoked(caf::actor_cast<caf::actor_addr>(current_sender()), lease);
    if (!id)
      return;
    d_.deps.providers->cancel(id);
    auto err = make_error(pool_errc::lease_expired);
    if (id == d_.stt) {
      d_.stt = 0;
      d_.stt_wait_started = call_clock::now();  // a new wait for STT, timed from here
      d_.deps.telephony->unroute_audio(d_.deps.info.session);
      exhausted(provider_kind::stt, d_.deps.settings.stt.on_exhausted, err);
    } else if (id == d_.llm) {
      d_.llm = 0;
      if (d_.tts)
        d_.deps.providers->cancel(d_.tts);
      d_.tts = 0;
      leases_.cancel(d_.tts_ticket);
      d_.tts_ticket = 0;
      exhausted(provider_kind::llm, d_.deps.settings.llm.on_exhausted, err);
    } else if (id == d_.tts) {
      d_.tts = 0;
      exhausted(provider_kind::tts, d_.deps.settings.tts.on_exhausted, err);
    }
  }

  // --- the end ----------------------------------------------------------------------

  // The node is stopping: cut any reply as barge-in would, say the goodbye, then close.
  void shut_down(bool at_once) {
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
      record_reply(d_.first_audio);
      stop_reply();
    }
    d_.log.info("call {}: the node is stopping: saying goodbye", d_.deps.info.session);
    d_.saying_goodbye = true;
    begin_turn();
    d_.llm_finished = true;
    say(d_.deps.settings.goodbye);
    delayed_send(this, goodbye_limit, goodbye_timeout_atom_v);
  }

  void close_with(call_end why, uint16_t code, const std::string& reason) {
    d_.deps.telephony->close(d_.deps.info.session, code, reason);
    end_call(why, code, reason);
  }

  void end_call(call_end why, uint16_t code, const std::string& reason) {
    if (d_.state == call_state::ended)
      return;
    d_.state = call_state::ended;
    d_.log.info("call {}: ended ({}{}{})", d_.deps.info.session, to_string(why),
                 code ? " " + std::to_string(code) : "", reason.empty() ? "" : ": " + reason);
    if (why == call_end::caller_stop)
      d_.deps.telephony->close(d_.deps.info.session, 1000, "stream stopped");
    record_reply(true);  // a reply still playing when the call ended was cut
    keep_last_words();
    if (d_.stt_backlog && d_.stt_backlog->bytes() > 0 && !d_.stt) {
      // It ended before its STT stream opened: what it said never reached a transcript.
      d_.log.warn("call {}: ended before speech-to-text opened: {} ms of the caller's audio "
                  "never transcribed", d_.deps.info.session, d_.stt_backlog->kept().count());
      if (d_.deps.probe)
        d_.deps.probe->stt_backlog_dropped(d_.stt_backlog->bytes());
    }
    d_.record.ended(to_string(why), static_cast<uint32_t>(d_.turn));
    d_.session.ended(why);
    if (d_.deps.probe) {
      d_.deps.probe->call_ended(why);
      d_.deps.probe->call_duration(duration_cast<microseconds>(call_clock::now() - d_.created));
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
    become(ending_);
    delayed_send(this, ending_grace, playback_timeout_atom_v, uint64_t{0});
  }

  // Words heard but never answered (the call ended first): stored all the same.
  void keep_last_words() {
    if (d_.heard.empty())
      return;
    d_.record.caller_said(static_cast<uint32_t>(d_.turn + 1), d_.heard);
    d_.record.reply_heard();
    d_.heard.clear();
  }

  void stream_ended(stream_id id, lease_outcome outcome) {
    if (id == d_.stt)
      keep_last_words();  // the STT stream's last transcripts are in
    leases_.release(id, outcome);
    if (!leases_.holding())
      quit();
  }

  call_data d_;
  call_leases leases_;
  caf::message_handler common_;
  caf::behavior starting_;
  caf::behavior listening_;
  caf::behavior thinking_;
  caf::behavior responding_;
  caf::behavior ending_;
};

} // namespace

caf::actor spawn_call(caf::actor_system& sys, call_deps deps) {
  return sys.spawn<call_actor>(std::move(deps));
}

} // namespace sb
