// The call actor's fallbacks (see call_actor_impl.hpp): a stage whose stream failed or
// whose pool had no lease in time goes on with its fallback provider when it has one;
// otherwise STT asks again (or the call ends), the LLM's turn gets the apology, and a
// sentence is skipped. A lease revoked by a cluster-wide pool is handled the same way.
#include "actors/call_actor_impl.hpp"

#include <caf/actor_system.hpp>

#include "messages/atoms.hpp"
#include "messages/pool_cluster.hpp"

namespace sb {

const call_pool& call_actor::pool_of(const call_pool& primary,
                                     const std::optional<call_pool>& fallback,
                                     provider_route route) const {
  return route == provider_route::fallback && fallback ? *fallback : primary;
}

// Whether the stage goes on with its fallback provider (and counts it).
bool call_actor::fail_over(provider_kind kind, provider_route from, const char* reason) {
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

// A pool had no lease for us in time.
void call_actor::exhausted(provider_kind kind, exhausted_action action,
                           const caf::error& err) {
  auto why = system().render(err);
  d_.log.warn("call {}: no {} lease ({}): {}", d_.deps.info.session, to_string(kind), why,
               to_string(action));
  if (d_.deps.probe)
    d_.deps.probe->fallback(kind, action);
  if (d_.saying_goodbye && kind == provider_kind::tts) {  // no voice for it: close now
    close_with(call_end::shutdown, 1001, "the node is shutting down");
    return;
  }
  if (action == exhausted_action::end) {
    close_with(call_end::capacity, 4503,
               std::string(to_string(kind)) + " capacity exhausted: " + why);
    return;
  }
  switch (kind) {
    case provider_kind::stt:
      if (action == exhausted_action::hold && d_.deps.settings.hold_audio)
        d_.deps.telephony->play(d_.deps.info.session, *d_.deps.settings.hold_audio);
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

void call_actor::on_failure(const provider_failure& f) {
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
      d_.stt_wait_started = clock().now();
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
void call_actor::on_revoked(uint64_t lease) {
  auto id = leases_.revoked(caf::actor_cast<caf::actor_addr>(current_sender()), lease);
  if (!id)
    return;
  d_.deps.providers->cancel(id);
  auto err = make_error(pool_errc::lease_expired);
  if (id == d_.stt) {
    d_.stt = 0;
    d_.stt_wait_started = clock().now();  // a new wait for STT, timed from here
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

} // namespace sb
