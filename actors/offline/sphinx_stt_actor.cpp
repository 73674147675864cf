#include "actors/offline/sphinx_stt_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include "actors/dialog/dialog_script.hpp"
#include "messages/offline.hpp"
#include "net/codec/audio_codec.hpp"
#include "net/speech/resampler.hpp"

namespace sb {

namespace {

// A fresh decoder reports speech for its first second whatever the audio: what it
// hears then is dropped.
constexpr size_t warm_up_samples = 16000;

class sphinx_stream : public caf::event_based_actor {
public:
  sphinx_stream(caf::actor_config& cfg, sphinx_stream_args a)
    : caf::event_based_actor(cfg), a_(std::move(a)),
      up_(8000, 16000, speech::resampler::quality::quick) {}

  caf::behavior make_behavior() override {
    set_default_handler(caf::drop);
    monitor(a_.owner);
    set_down_handler([this](caf::down_msg&) { quit(); });
    std::string err;
    if (!up_.ok() || !decoder_.open(a_.model, err)) {
      provider_failure f;
      f.id = a_.id;
      f.provider = provider_kind::stt;
      f.kind = failure_kind::rejected;
      f.detail = up_.ok() ? err : "soxr: " + up_.error();
      send(a_.owner, std::move(f));
      quit();
      return {};
    }
    grammar_ = a_.calls->state_of(a_.owner.id());
    decoder_.use(grammar_name(grammar_));
    decoder_.restart();
    send(a_.owner, provider_opened{a_.id});
    return {
      [this](audio_bytes& audio) { on_audio(audio); },
      [this](stt_finish_atom) {
        if (in_speech_)
          end_of_turn();
        send(a_.owner, provider_closed{a_.id, 1000});
        quit();
      },
      [this](stream_cancel_atom) {
        send(a_.owner, provider_closed{a_.id, 1000});
        quit();
      },
    };
  }

private:
  void on_audio(const audio_bytes& audio) {
    std::vector<int16_t> pcm;
    if (a_.encoding == audio_encoding::mulaw) {
      pcm.reserve(audio.size());
      for (auto b : audio)
        pcm.push_back(codec::mulaw_to_linear(b));
    } else {
      for (size_t i = 0; i + 1 < audio.size(); i += 2)
        pcm.push_back(static_cast<int16_t>(audio[i] | (audio[i + 1] << 8)));
    }
    auto wide = up_.process(pcm.data(), pcm.size());
    if (wide.empty())
      return;
    bool speech = decoder_.process(wide.data(), wide.size());
    fed_ += wide.size();
    if (fed_ < warm_up_samples)
      return;
    if (!warm_) {
      warm_ = true;
      decoder_.restart();  // what it "heard" while warming up goes
      return;
    }
    if (speech && !in_speech_) {
      in_speech_ = true;
      spdlog::debug("stt {}: speech at {:.2f} s", a_.id, static_cast<double>(fed_) / 16000.0);
      send(a_.owner, stt_speech_started{a_.id});
    } else if (!speech && in_speech_) {
      end_of_turn();
    } else if (!speech) {
      // Between turns: listen with the grammar of the state the dialog is in now.
      auto state = a_.calls->state_of(a_.owner.id());
      if (state != grammar_) {
        grammar_ = state;
        decoder_.use(grammar_name(state));
        decoder_.restart();
      }
    }
  }

  void end_of_turn() {
    in_speech_ = false;
    auto state = a_.calls->state_of(a_.owner.id());
    if (state != grammar_) {
      grammar_ = state;
      decoder_.use(grammar_name(state));
    }
    auto text = dialog::normalise(decoder_.restart());
    spdlog::debug("stt {}: heard '{}' at {:.2f} s (grammar of state {})", a_.id, text,
                  static_cast<double>(fed_) / 16000.0, grammar_);
    if (text.empty())
      return;  // noise: nothing the grammar knows
    stt_transcript t;
    t.id = a_.id;
    t.text = std::move(text);
    t.is_final = true;
    t.speech_final = true;
    t.confidence = 1;
    t.end_s = static_cast<double>(fed_) / 16000.0;
    send(a_.owner, std::move(t));
  }

  sphinx_stream_args a_;
  speech::resampler up_;
  speech::sphinx_decoder decoder_;
  size_t grammar_ = 0;
  size_t fed_ = 0;  // samples at 16 kHz
  bool warm_ = false;
  bool in_speech_ = false;
};

} // namespace

std::string grammar_name(size_t state) {
  return "s" + std::to_string(state);
}

caf::actor spawn_sphinx_stream(caf::actor_system& sys, sphinx_stream_args args) {
  return sys.spawn<sphinx_stream, caf::detached>(std::move(args));
}

} // namespace sb
