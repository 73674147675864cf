// Fakes for the call actor's tests on CAF's test coordinator: telephony and provider
// ports that record what the call asks of the network, and a fixture that spawns a call
// and plays the network's answers back (tests/test_call_actor.cpp, test_call_record.cpp).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "actors/call_actor.hpp"
#include "actors/pool_actor.hpp"
#include "messages/atoms.hpp"
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
  void stt_finish(sb::stream_id) override {}
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

struct fixture : sb::test::virtual_time_system {
  std::shared_ptr<fake_telephony> tel = std::make_shared<fake_telephony>();
  std::shared_ptr<fake_providers> prov = std::make_shared<fake_providers>();
  caf::actor call;
  sb::pool_actor stt_pool;
  caf::actor transcripts;  // given to calls spawned by respawn (invalid: none)

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
    sched.run();
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
    adjust(d.settings);
    call = sb::spawn_call(sys, d);
    sched.run();
  }
  template <class T>
  void tell(T x) {
    caf::anon_send(call, std::move(x));
    sched.run();
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
