#include "actors/offline/espeak_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "messages/offline.hpp"
#include "net/codec/audio_codec.hpp"
#include "net/speech/resampler.hpp"

namespace sb {

void tts_ledger::begin(stream_id id) {
  std::lock_guard<std::mutex> g{m_};
  live_[id] = false;
}

bool tts_ledger::cancel(stream_id id) {
  std::lock_guard<std::mutex> g{m_};
  auto it = live_.find(id);
  if (it == live_.end())
    return false;
  it->second = true;
  return true;
}

bool tts_ledger::cancelled(stream_id id) const {
  std::lock_guard<std::mutex> g{m_};
  auto it = live_.find(id);
  return it == live_.end() || it->second;
}

bool tts_ledger::end(stream_id id) {
  std::lock_guard<std::mutex> g{m_};
  auto it = live_.find(id);
  bool was = it == live_.end() || it->second;
  if (it != live_.end())
    live_.erase(it);
  return was;
}

namespace {

// 250 ms of phone audio per tts_audio message.
constexpr size_t piece_bytes = 2000;

caf::behavior espeak_behavior(caf::event_based_actor* self,
                              std::shared_ptr<speech::espeak_engine> engine,
                              std::shared_ptr<tts_ledger> ledger) {
  return {
    [self, engine, ledger](offline_tts_request& r) {
      if (ledger->cancelled(r.id)) {
        ledger->end(r.id);
        self->send(r.owner, provider_closed{r.id, 1000});
        return;
      }
      auto pcm = engine->synthesize(r.text);
      speech::resampler down(engine->sample_rate(), 8000, speech::resampler::quality::high);
      auto line = down.process(pcm.data(), pcm.size());
      auto rest = down.flush();
      line.insert(line.end(), rest.begin(), rest.end());
      audio_bytes mulaw;
      mulaw.reserve(line.size());
      for (auto s : line)
        mulaw.push_back(codec::linear_to_mulaw(s));
      for (size_t at = 0; at < mulaw.size(); at += piece_bytes) {
        if (ledger->cancelled(r.id))
          break;
        auto end = std::min(mulaw.size(), at + piece_bytes);
        tts_audio a;
        a.id = r.id;
        a.audio.assign(mulaw.begin() + static_cast<long>(at), mulaw.begin() + static_cast<long>(end));
        self->send(r.owner, std::move(a));
      }
      if (ledger->end(r.id))
        self->send(r.owner, provider_closed{r.id, 1000});
      else
        self->send(r.owner, tts_done{r.id});
    },
  };
}

} // namespace

caf::actor spawn_espeak(caf::actor_system& sys, std::unique_ptr<speech::espeak_engine> engine,
                        std::shared_ptr<tts_ledger> ledger) {
  std::shared_ptr<speech::espeak_engine> shared{std::move(engine)};
  return sys.spawn<caf::detached>(espeak_behavior, shared, std::move(ledger));
}

} // namespace sb
