#include "actors/offline/sphinx_stt_actor.hpp"

#include <deque>

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
// After a transcript the recogniser holds the caller's audio until the dialog has
// answered it (a few milliseconds: the scripted LLM answers at once). A turn the call
// never answers (it is saying goodbye) is not waited for longer than this much audio.
constexpr size_t max_held_samples = 16000 * 30;

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
    // Told of every answer from here; a stream opened mid-call (after a failure) listens
    // where the dialog is.
    a_.calls->listen(a_.owner, caf::actor_cast<caf::actor>(this));
    auto now = listening();
    answers_ = now.answers;
    if (decoder_.grammar() != grammar_name(now.state))
      decoder_.start(grammar_name(now.state));
    send(a_.owner, provider_opened{a_.id});
    return {
      [this](audio_bytes& audio) { on_audio(audio); },
      [this](dialog_answered_atom) { on_answer(); },
      [this](stt_finish_atom) {
        while (awaiting_)  // the dialog's state now, answered or not
          listen_again(listening());
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
  dialog_calls::listening listening() const { return a_.calls->listening_of(a_.owner.id()); }
  double seconds(size_t samples) const { return static_cast<double>(samples) / 16000.0; }

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
    if (awaiting_ && held_samples_ >= max_held_samples) {
      auto now = listening();
      spdlog::debug("stt {}: the dialog did not answer within {:.1f} s of audio: listening "
                    "with the grammar of state {}", a_.id, seconds(held_samples_), now.state);
      listen_again(now);
    }
    take(std::move(wide));
  }

  // The dialog has answered a turn: the one this recogniser transcribed last (it
  // listens again, from the end of that turn), or keypad digits (its grammar from here,
  // between two utterances).
  void on_answer() {
    auto now = listening();
    if (now.answers == answers_)
      return;
    if (awaiting_) {
      listen_again(now);
    } else if (!in_speech_) {
      answers_ = now.answers;
      decoder_.start(grammar_name(now.state));
      spdlog::debug("stt {}: the dialog moved to state {} at {:.2f} s (no transcript)", a_.id,
                    now.state, seconds(fed_));
    }
  }

  // The next piece of audio: held while the dialog's answer is awaited, else decoded.
  void take(std::vector<int16_t> wide) {
    if (awaiting_) {
      held_samples_ += wide.size();
      held_.push_back(std::move(wide));
      return;
    }
    decode(wide);
  }

  void decode(const std::vector<int16_t>& wide) {
    bool speech = decoder_.process(wide.data(), wide.size());
    fed_ += wide.size();
    if (fed_ < warm_up_samples)
      return;
    if (!warm_) {
      warm_ = true;
      decoder_.start(decoder_.grammar());  // what it "heard" while warming up goes
      return;
    }
    if (speech && !in_speech_) {
      in_speech_ = true;
      speech_at_ = fed_;
      spdlog::debug("stt {}: speech at {:.2f} s", a_.id, seconds(fed_));
      send(a_.owner, stt_speech_started{a_.id});
    } else if (!speech && in_speech_) {
      end_of_turn();
    }
  }

  // The decoder's VAD found the end of a turn: the utterance's words, all decoded with
  // the grammar it started with. The next utterance starts right here in the audio, with
  // the grammar of the state the dialog answers this transcript with.
  void end_of_turn() {
    in_speech_ = false;
    auto grammar = decoder_.grammar();
    auto text = dialog::normalise(decoder_.end());
    spdlog::debug("stt {}: heard '{}' from {:.2f} to {:.2f} s (grammar {})", a_.id, text,
                  seconds(speech_at_), seconds(fed_), grammar);
    if (text.empty()) {  // noise: nothing the grammar knows, nothing for the dialog
      auto now = listening();  // unless keypad digits moved it meanwhile
      decoder_.start(now.answers == answers_ ? grammar : grammar_name(now.state));
      answers_ = now.answers;
      return;
    }
    answers_ = listening().answers;  // read before the transcript can be answered
    awaiting_ = true;
    stt_transcript t;
    t.id = a_.id;
    t.text = std::move(text);
    t.is_final = true;
    t.speech_final = true;
    t.confidence = 1;
    t.end_s = seconds(fed_);
    send(a_.owner, std::move(t));
  }

  // The dialog has answered (or is not waited for): the next utterance listens with the
  // grammar of `now`, from the end of the last turn, and the audio held since goes first.
  void listen_again(const dialog_calls::listening& now) {
    awaiting_ = false;
    answers_ = now.answers;
    decoder_.start(grammar_name(now.state));  // a state that ends the call has none
    spdlog::debug("stt {}: dialog in state {}: listening with grammar {} from {:.2f} s ({:.2f} "
                  "s of audio held)", a_.id, now.state, decoder_.grammar(), seconds(fed_),
                  seconds(held_samples_));
    auto held = std::move(held_);
    held_.clear();
    held_samples_ = 0;
    for (auto& piece : held)
      take(std::move(piece));  // another turn may end in it: then the rest waits again
  }

  sphinx_stream_args a_;
  speech::resampler up_;
  speech::sphinx_decoder decoder_;
  uint64_t answers_ = 0;  // the dialog's answers when it last told us its state
  bool awaiting_ = false;  // a transcript is out, its answer not yet seen
  std::deque<std::vector<int16_t>> held_;  // audio after it, in the pieces it came in
  size_t held_samples_ = 0;
  size_t fed_ = 0;  // samples at 16 kHz decoded
  size_t speech_at_ = 0;
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
