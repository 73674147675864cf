// The offline recogniser hears a caller the same way every time: what it transcribes is
// a function of the audio and the dialog, not of when the dialog's answer reaches it.
// The same call audio (espeak-ng's voice through a phone line: the same bytes every time)
// goes through a fresh recogniser three times: with the dialog answering each turn at
// once, with it answering only once the recogniser has taken all the audio (a node busy
// elsewhere), and at once again. And keypad digits that move the dialog without a
// transcript switch the grammar for the next answer. Real actors on a real actor system
// (the recogniser is detached); each wait is a bounded receive.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dialog/dialog_engine.hpp"
#include "actors/offline/dialog_calls.hpp"
#include "actors/offline/sphinx_stt_actor.hpp"
#include "messages/offline.hpp"
#include "net/codec/audio_codec.hpp"
#include "net/speech/resampler.hpp"
#include "tests/support/offline_model.hpp"
#include "tests/support/phone_line.hpp"

using namespace std::chrono_literals;
using namespace sb;

namespace {

// The caller's line between words, as tools/caller sends it: a few steps around zero.
std::vector<audio_bytes> line_silence(size_t frames) {
  audio_bytes f(160);
  for (int i = 0; i < 160; ++i)
    f[static_cast<size_t>(i)] = codec::linear_to_mulaw(static_cast<int16_t>(((i * 7) % 5) - 2));
  return std::vector<audio_bytes>(frames, f);
}

// Words in 20 ms frames, the last one padded with silence.
std::vector<audio_bytes> frames_of(const audio_bytes& words) {
  std::vector<audio_bytes> out;
  for (size_t at = 0; at < words.size(); at += 160) {
    audio_bytes f(160, 0xFF);
    std::copy(words.begin() + static_cast<long>(at),
              words.begin() + static_cast<long>(std::min(at + 160, words.size())), f.begin());
    out.push_back(std::move(f));
  }
  return out;
}

void append(std::vector<audio_bytes>& to, const std::vector<audio_bytes>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

// One recogniser (stream `id`) talking to this test as its call: the transcripts it
// sent, and a bounded wait for the next.
struct recogniser {
  caf::scoped_actor self;
  std::shared_ptr<dialog_calls> calls;
  caf::actor stt;
  std::vector<std::string> heard;
  bool closed = false;

  recogniser(caf::actor_system& sys, const test::offline_model& om,
             const speech::sphinx_model& model, uint64_t id)
    : self(sys), calls(std::make_shared<dialog_calls>(om.script)) {
    stt = spawn_sphinx_stream(sys, {id, caf::actor{self}, audio_encoding::mulaw, model, calls});
    self->receive([](provider_opened&) {},
                  caf::after(10s) >> [] { FAIL("no provider_opened within 10 s"); });
  }
  void send(const std::vector<audio_bytes>& frames) {
    for (auto& f : frames)
      self->send(stt, f);
  }
  // Until one more transcript (or the end of the stream).
  void next() {
    for (auto n = heard.size(); heard.size() == n && !closed;)
      self->receive([](stt_speech_started&) {},
                    [&](stt_transcript& t) { heard.push_back(t.text); },
                    [&](provider_closed&) { closed = true; },
                    caf::after(20s) >> [] { FAIL("nothing from the recogniser within 20 s"); });
  }
  // A request behind the audio: its answer (an error: the recogniser takes no such
  // message) comes once the recogniser has taken every frame before it.
  void taken() {
    self->request(stt, 10s, caf::ping_atom_v)
      .receive([](caf::message&) {},
               [](caf::error& e) { CHECK(e == caf::sec::unexpected_message); });
  }
  dialog::turn answer(const std::string& text) {
    return calls->answer(caf::actor{self}, text);
  }
};

// A call's audio in turns: each part ends past the end of its answer's turn.
using call_audio = std::vector<std::vector<audio_bytes>>;

void send_part(recogniser& r, const call_audio& audio, size_t i) {
  r.send(audio[i]);
}

// One recogniser on the call, its transcripts answered by the dialog as the scripted LLM
// does. `late`: the dialog answers each turn only once every frame of the call has
// reached the recogniser (else at once, before the next part is sent). What it
// transcribed, in order.
std::vector<std::string> listen(caf::actor_system& sys, const test::offline_model& om,
                                const speech::sphinx_model& model, const call_audio& audio,
                                bool late) {
  recogniser r(sys, om, model, 1);
  send_part(r, audio, 0);
  if (late)
    for (size_t i = 1; i < audio.size(); ++i)
      send_part(r, audio, i);
  for (size_t turn = 0; turn < audio.size(); ++turn) {
    r.next();
    REQUIRE(r.heard.size() == turn + 1);
    if (late)
      r.taken();
    r.answer(r.heard.back());
    if (!late && turn + 1 < audio.size())
      send_part(r, audio, turn + 1);
  }
  r.self->send(r.stt, stt_finish_atom_v);
  while (!r.closed)
    r.next();
  return r.heard;
}

// The model with the priming speech, as the node makes it (runtime/offline_providers.cpp):
// phone speech at 16 kHz.
speech::sphinx_model primed(const test::offline_model& om, const std::string& dir) {
  auto model = om.model;
  auto line = test::phone_line(
    dir, "Thank you for calling. Please say what you need, one word at a time.");
  std::vector<int16_t> pcm;
  for (auto b : line)
    pcm.push_back(codec::mulaw_to_linear(b));
  speech::resampler up(8000, 16000, speech::resampler::quality::quick);
  model.prime = up.process(pcm.data(), pcm.size());
  auto rest = up.flush();
  model.prime.insert(model.prime.end(), rest.begin(), rest.end());
  return model;
}

} // namespace

TEST_CASE("sphinx actor: the same call is heard the same, however late the dialog answers") {
  test::offline_model om;
  auto dir = test::temp_dir("sb-recognition");
  // The priming speech, as the node makes it (runtime/offline_providers.cpp): phone
  // speech at 16 kHz.
  auto model = primed(om, dir);
  call_audio audio(3);
  append(audio[0], line_silence(75));  // 1.5 s: the recogniser's warm-up, then the line
  append(audio[0], frames_of(test::phone_line(dir, "check an order")));
  append(audio[0], line_silence(50));  // a turn ends 0.45 s after the words
  append(audio[1], line_silence(100));
  append(audio[1], frames_of(test::phone_line(dir, "what is the weather like today")));
  append(audio[1], line_silence(50));
  append(audio[2], line_silence(100));
  append(audio[2], frames_of(test::phone_line(dir, "nine one two three")));
  append(audio[2], line_silence(75));

  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto prompt = listen(sys, om, model, audio, false);
  auto late = listen(sys, om, model, audio, true);
  auto again = listen(sys, om, model, audio, false);
  auto text = [](const std::vector<std::string>& v) {
    std::string out;
    for (auto& t : v)
      out += "'" + t + "' ";
    return out;
  };
  INFO("answered at once: " << text(prompt) << "; late: " << text(late) << "; at once again: "
                            << text(again));
  REQUIRE(prompt.size() == 3);
  CHECK(late == prompt);
  CHECK(again == prompt);
  // Each answer decoded with the grammar of the state the dialog was in: the question
  // about the weather is taken by the order number's garbage loop (a re-prompt), the
  // digits are the order number.
  auto at = dialog::begin(*om.script);
  CHECK(prompt[0] == "check an order");
  CHECK(dialog::advance(*om.script, at, prompt[0]).understood);
  CHECK_FALSE(dialog::advance(*om.script, at, prompt[1]).understood);
  CHECK(prompt[2] == "nine one two three");
}

TEST_CASE("sphinx actor: keypad digits that move the dialog switch the grammar for the next "
          "answer") {
  test::offline_model om;
  auto dir = test::temp_dir("sb-recognition");
  auto model = primed(om, dir);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  recogniser r(sys, om, model, 2);
  r.send(line_silence(75));
  r.send(frames_of(test::phone_line(dir, "check an order")));
  r.send(line_silence(50));
  r.next();
  REQUIRE(r.heard == std::vector<std::string>{"check an order"});
  CHECK(r.answer(r.heard[0]).understood);  // the order number's state
  // The recogniser has taken that answer (and listens again) before the keypad's comes.
  r.taken();
  // The order number on the keypad, as the call actor passes it to the scripted LLM: the
  // dialog asks for confirmation, and the caller says yes.
  auto typed = r.answer("(The caller pressed 9 1 2 3 on the keypad.)");
  CHECK(typed.say == "I heard order 9 1 2 3. Is that right?");
  r.send(line_silence(100));
  r.send(frames_of(test::phone_line(dir, "yes")));
  r.send(line_silence(75));
  r.self->send(r.stt, stt_finish_atom_v);
  while (!r.closed)
    r.next();
  CHECK(r.heard == std::vector<std::string>{"check an order", "yes"});
}

TEST_CASE("sphinx actor: a turn the dialog never answers is waited for 30 s of audio, then "
          "it listens on") {
  test::offline_model om;
  auto dir = test::temp_dir("sb-recognition");
  auto model = primed(om, dir);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  recogniser r(sys, om, model, 3);
  r.send(line_silence(75));
  r.send(frames_of(test::phone_line(dir, "check an order")));
  r.send(line_silence(50));
  r.next();
  // No answer (a call saying goodbye does not answer): 31 s of audio later the next
  // answer is heard all the same, with the grammar of the state the call is still in.
  r.send(line_silence(1550));
  r.send(frames_of(test::phone_line(dir, "speak to an agent")));
  r.send(line_silence(75));
  r.next();
  CHECK(r.heard == std::vector<std::string>{"check an order", "speak to an agent"});
  REQUIRE_FALSE(r.closed);
  r.self->send(r.stt, stream_cancel_atom_v);
  r.self->receive([](provider_closed&) {},
                  caf::after(10s) >> [] { FAIL("no provider_closed within 10 s"); });
}
