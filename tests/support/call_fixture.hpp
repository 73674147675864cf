// Fakes for the call actor's tests on CAF's test coordinator: telephony and provider
// ports that record what the call asks of the network, a probe, a transcript batcher and
// a session store that record what the call reports, and a fixture that spawns a call
// and plays the network's answers back (tests/test_call_*.cpp). Time moves only with
// sched.advance_time: the call reads its actor's clock.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/call_actor.hpp"
#include "actors/pool_actor.hpp"
#include "messages/atoms.hpp"
#include "messages/call_inspect.hpp"
#include "messages/session.hpp"
#include "messages/transcript.hpp"
#include "tests/support/virtual_time.hpp"

namespace sb::test::calls {

using namespace std::chrono_literals;

struct fake_telephony : sb::telephony_port {
  std::vector<std::string> log;  // "play 800", "mark turn-1", "clear", "close 1011 ..."
  size_t played = 0;
  void play(sb::session_id, sb::audio_bytes a) override {
    played += a.size();
    log.push_back("play " + std::to_string(a.size()));
  }
  void mark(sb::session_id, std::string n) override { log.push_back("mark " + n); }
  void clear(sb::session_id) override { log.push_back("clear"); }
  void close(sb::session_id, uint16_t code, std::string r) override {
    log.push_back("close " + std::to_string(code) + " " + r);
  }
  void route_audio(sb::session_id, sb::stream_id stt) override {
    log.push_back("route " + std::to_string(stt));
  }
  void open_route(sb::session_id) override { log.push_back("open_route"); }
  void unroute_audio(sb::session_id) override { log.push_back("unroute"); }
  bool has(const std::string& prefix) const {
    for (auto& l : log)
      if (l.rfind(prefix, 0) == 0)
        return true;
    return false;
  }
};

struct fake_providers : sb::provider_port {
  sb::stream_id next = 100;
  sb::stream_id stt = 0, llm = 0, tts = 0;
  std::vector<sb::stream_id> cancelled;
  std::vector<std::string> tts_texts;
  std::vector<std::vector<sb::chat_message>> llm_requests;
  size_t stt_bytes = 0;
  std::vector<sb::provider_route> stt_routes, tts_routes;
  sb::stream_id open_stt(caf::actor, sb::audio_encoding, uint32_t,
                         sb::provider_route route) override {
    stt_routes.push_back(route);
    return stt = ++next;
  }
  void stt_audio(sb::stream_id, sb::audio_bytes a) override { stt_bytes += a.size(); }
  std::vector<sb::stream_id> finished;  // stt_finish (Deepgram CloseStream)
  void stt_finish(sb::stream_id id) override { finished.push_back(id); }
  sb::stream_id start_llm(caf::actor, std::vector<sb::chat_message> m, uint32_t) override {
    llm_requests.push_back(std::move(m));
    return llm = ++next;
  }
  sb::stream_id start_tts(caf::actor, std::string text, uint32_t,
                          sb::provider_route route) override {
    tts_routes.push_back(route);
    tts_texts.push_back(std::move(text));
    return tts = ++next;
  }
  // transport = websocket: one stream per reply.
  std::vector<std::string> streamed;  // text handed to reply streams
  int streams_opened = 0, streams_finished = 0;
  sb::stream_id open_tts_stream(caf::actor, uint32_t, sb::provider_route) override {
    ++streams_opened;
    return tts = ++next;
  }
  void tts_stream_text(sb::stream_id, std::string text) override {
    streamed.push_back(std::move(text));
  }
  void tts_stream_finish(sb::stream_id) override { ++streams_finished; }
  void cancel(sb::stream_id id) override { cancelled.push_back(id); }
};

// What a call reports to its probe (the node's metrics).
struct fake_probe : sb::call_probe {
  using us = std::chrono::microseconds;
  int started = 0, barge_ins = 0, resumed = 0;
  std::vector<sb::call_end> ended;
  std::vector<us> turn_latencies, durations;
  struct latency {
    sb::provider_kind provider;
    sb::provider_stage stage;
    us took;
  };
  std::vector<latency> provider_latencies;
  std::vector<std::pair<sb::provider_kind, sb::exhausted_action>> fallbacks;
  std::vector<std::pair<sb::provider_kind, std::string>> failovers;
  void call_started() override { ++started; }
  void call_ended(sb::call_end why) override { ended.push_back(why); }
  void turn_latency(us l) override { turn_latencies.push_back(l); }
  void barge_in() override { ++barge_ins; }
  void provider_failed(sb::provider_kind, sb::failure_kind) override {}
  void fallback(sb::provider_kind p, sb::exhausted_action a) override {
    fallbacks.emplace_back(p, a);
  }
  void stt_backlog_dropped(size_t) override {}
  void stt_backlog_trimmed(std::chrono::milliseconds) override {}
  void failover(sb::provider_kind p, const char* reason) override {
    failovers.emplace_back(p, reason);
  }
  void call_duration(us d) override { durations.push_back(d); }
  void provider_latency(sb::provider_kind p, sb::provider_stage s, us took) override {
    provider_latencies.push_back({p, s, took});
  }
  void call_resumed() override { ++resumed; }
};

// What a call sends its transcript batcher.
struct transcript_log {
  std::vector<sb::call_record> records;
  std::vector<sb::transcript_entry> entries;
  // "caller: text", "agent: text [cut]"
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (auto& e : entries)
      out.push_back(e.speaker + ": " + e.text + (e.interrupted ? " [cut]" : ""));
    return out;
  }
};

// (State goes in as a spawn argument: CAF 0.17 binds a null tuple for a function actor
// spawned without any.)
inline caf::actor spawn_transcript_log(caf::actor_system& sys,
                                       std::shared_ptr<transcript_log> log) {
  return sys.spawn(
    [](caf::event_based_actor*, std::shared_ptr<transcript_log> r) -> caf::behavior {
      return {
        [r](sb::call_record& c) { r->records.push_back(c); },
        [r](sb::transcript_entry& e) { r->entries.push_back(e); },
      };
    },
    std::move(log));
}

// A session store: answers a call's read with `snapshot` at once (answer), when told to
// (hold: send it session_answer_atom), or never (silent); records what the call keeps.
using session_answer_atom = caf::atom_constant<caf::atom("sessans")>;
constexpr session_answer_atom session_answer_atom_v{};
struct session_log {
  enum class mode { answer, hold, silent };
  mode how = mode::answer;
  sb::session_snapshot snapshot;  // found = false: the store has none
  std::vector<std::string> reads;
  std::vector<sb::session_snapshot> puts;
  std::vector<std::pair<std::string, bool>> ends;  // call id, kept
  std::vector<caf::response_promise> waiting;
};

inline caf::actor spawn_session_log(caf::actor_system& sys,
                                    std::shared_ptr<session_log> log) {
  return sys.spawn(
    [](caf::event_based_actor* self, std::shared_ptr<session_log> s) -> caf::behavior {
      return {
        [self, s](sb::session_get_atom, std::string& id) {
          s->reads.push_back(id);
          auto rp = self->make_response_promise();
          if (s->how == session_log::mode::answer)
            rp.deliver(s->snapshot);
          else
            s->waiting.push_back(rp);  // silent: kept, never delivered
        },
        [s](session_answer_atom) {
          for (auto& rp : s->waiting)
            rp.deliver(s->snapshot);
          s->waiting.clear();
        },
        [s](sb::session_put_atom, sb::session_snapshot& snap) {
          s->puts.push_back(std::move(snap));
        },
        [s](sb::session_end_atom, std::string& id, bool keep) {
          s->ends.emplace_back(id, keep);
        },
      };
    },
    std::move(log));
}

struct fixture : sb::test::virtual_time_system {
  std::shared_ptr<fake_telephony> tel = std::make_shared<fake_telephony>();
  std::shared_ptr<fake_providers> prov = std::make_shared<fake_providers>();
  caf::actor call;
  sb::pool_actor stt_pool;
  // Given to calls spawned by respawn (invalid or null: none).
  caf::actor transcripts;
  caf::actor sessions;
  std::shared_ptr<fake_probe> probe;
  std::vector<sb::pool_actor> pools;  // made by make_pool
  struct holder {                     // another call holding a lease (occupy)
    std::unique_ptr<caf::scoped_actor> self;
    sb::pool_actor pool;
    sb::pool_lease lease;
  };
  std::vector<holder> holders;

  // `with_stt_pool`: the call's STT leases come from a real pool (2 leases).
  explicit fixture(bool with_stt_pool = false) {
    sb::call_deps d;
    if (with_stt_pool) {
      sb::pool_config pc;
      pc.name = "stt";
      pc.max_active = 2;
      stt_pool = sb::spawn_pool(sys, pc);
      d.settings.stt.pool = stt_pool;
    }
    d.info = {1, sb::dialect::twilio, "", "127.0.0.1"};
    d.telephony = tel;
    d.providers = prov;
    d.settings.system_prompt = "be brief";
    d.settings.max_history = 4;
    d.transcripts = transcripts;
    call = sb::spawn_call(sys, d);  // no pools: leases are granted at once
    sched.run();
  }
  ~fixture() {
    caf::anon_send_exit(call, caf::exit_reason::kill);
    if (stt_pool)
      caf::anon_send_exit(stt_pool, caf::exit_reason::kill);
    holders.clear();
    for (auto& p : pools)
      caf::anon_send_exit(p, caf::exit_reason::kill);
    sched.run();
  }
  // A real pool of `max_active` leases for `kind`; `adjust` changes the rest.
  sb::pool_actor make_pool(
    sb::provider_kind kind, uint32_t max_active,
    std::function<void(sb::pool_config&)> adjust = [](sb::pool_config&) {}) {
    sb::pool_config pc;
    pc.name = kind == sb::provider_kind::stt   ? "stt"
              : kind == sb::provider_kind::llm ? "llm"
                                               : "tts";
    pc.kind = kind;
    pc.max_active = max_active;
    adjust(pc);
    pools.push_back(sb::spawn_pool(sys, pc));
    return pools.back();
  }
  // Another call takes a lease of `pool` (it has one free).
  void occupy(const sb::pool_actor& pool) {
    holder h{std::make_unique<caf::scoped_actor>(sys, true), pool, {}};
    auto rq = (*h.self)->request(pool, caf::infinite,
                                 sb::pool_acquire{holders.size() + 1, caf::timespan{60s}, 0});
    sched.run();
    rq.receive([&](sb::pool_lease& l) { h.lease = l; },
               [&](caf::error& e) { throw std::runtime_error("occupy: " + sys.render(e)); });
    holders.push_back(std::move(h));
  }
  // The oldest of those leases goes back.
  void vacate() {
    auto& h = holders.front();
    (*h.self)->send(h.pool, sb::pool_release{h.lease.id, -1, sb::lease_outcome::ok, -1, -1});
    sched.run();
    holders.erase(holders.begin());
  }
  // Replaces the call with a new one (session `session`) whose settings `adjust` changes.
  template <class Adjust>
  void respawn(sb::session_id session, Adjust adjust) {
    caf::anon_send_exit(call, caf::exit_reason::kill);
    sched.run();
    sb::call_deps d;
    d.info = {session, sb::dialect::twilio, "", "127.0.0.1"};
    d.telephony = tel;
    d.providers = prov;
    d.transcripts = transcripts;
    d.sessions = sessions;
    d.probe = probe;
    adjust(d.settings);
    call = sb::spawn_call(sys, d);
    sched.run();
  }
  template <class... Ts>
  void tell(Ts... xs) {
    caf::anon_send(call, std::move(xs)...);
    sched.run();
  }
  // Moves virtual time on and runs what it set off.
  void wait(caf::timespan t) {
    sched.advance_time(t);
    sched.run();
  }
  // What the debug console sees of the call; nullopt once the actor is gone.
  std::optional<sb::call_snapshot> inspect() {
    caf::scoped_actor self{sys, true};
    auto h = self->request(call, caf::infinite, sb::call_inspect_atom_v);
    sched.run();
    std::optional<sb::call_snapshot> out;
    h.receive([&](sb::call_snapshot& s) { out = std::move(s); }, [](caf::error&) {});
    return out;
  }
  std::string state() {
    auto s = inspect();
    return s ? s->state : "GONE";
  }
  sb::pool_stats stats_of(const sb::pool_actor& pool) {
    caf::scoped_actor self{sys, true};
    auto h = self->request(pool, caf::infinite, caf::get_atom_v);
    sched.run();
    sb::pool_stats out;
    h.receive([&](sb::pool_stats& s) { out = std::move(s); }, [](caf::error&) {});
    return out;
  }
  void start() {
    sb::tel_start s;
    s.stream_sid = "MZ1";
    tell(s);
  }
  // The caller finished a sentence: a final, speech_final transcript.
  void said(const std::string& text) { tell(sb::stt_transcript{prov->stt, text, true, true, 0.9}); }
  void reply(const std::string& text) {
    tell(sb::llm_token{prov->llm, text});
    tell(sb::llm_done{prov->llm, "stop", 10, 5});
  }
  void speak_current_sentence(size_t bytes = 800) {
    tell(sb::tts_audio{prov->tts, sb::audio_bytes(bytes, 0x7f)});
    tell(sb::tts_done{prov->tts});
  }
};

} // namespace sb::test::calls
