// The offline providers' actors (actors/offline): the espeak-ng synthesiser and a call's
// pocketsphinx recogniser keep provider_port's contract: every stream ends with one
// terminal event, and a stream cancelled before it is spoken ends with provider_closed.
// Real actors on a real actor system (both are detached); each wait is a bounded receive.
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dialog/dialog_engine.hpp"
#include "actors/offline/dialog_calls.hpp"
#include "actors/offline/espeak_actor.hpp"
#include "actors/offline/sphinx_stt_actor.hpp"
#include "messages/offline.hpp"
#include "tests/support/offline_model.hpp"

using namespace std::chrono_literals;
using namespace sb;

TEST_CASE("espeak actor: a sentence comes back as mu-law audio and tts_done; a cancelled "
          "one as provider_closed only") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto engine = std::make_unique<speech::espeak_engine>();
  std::string err;
  REQUIRE(engine->open({}, err));
  auto ledger = std::make_shared<tts_ledger>();
  auto tts = spawn_espeak(sys, std::move(engine), ledger);
  caf::scoped_actor self{sys};
  ledger->begin(1);
  self->send(tts, offline_tts_request{1, caf::actor{self}, "Hello, this is a test."});
  size_t bytes = 0;
  bool done = false;
  while (!done)
    self->receive([&](tts_audio& a) { CHECK(a.id == 1); bytes += a.audio.size(); },
                  [&](tts_done& d) { CHECK(d.id == 1); done = true; },
                  caf::after(10s) >> [&] { FAIL("no tts_done within 10 s"); });
  CHECK(bytes > 8000);   // more than a second of 8 kHz audio
  CHECK(bytes < 40000);  // and less than five
  ledger->begin(2);
  CHECK(ledger->cancel(2));
  self->send(tts, offline_tts_request{2, caf::actor{self}, "Never said."});
  self->receive([](provider_closed& c) { CHECK(c.id == 2); },
                caf::after(10s) >> [] { FAIL("no provider_closed within 10 s"); });
  CHECK_FALSE(ledger->cancel(2));  // it has ended
  self->send_exit(tts, caf::exit_reason::user_shutdown);
}

TEST_CASE("sphinx actor: opens, then ends with provider_closed on finish and on cancel") {
  test::offline_model om;
  auto model = om.model;
  auto calls = std::make_shared<dialog_calls>(om.script);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  for (bool finish : {true, false}) {
    INFO((finish ? "finish" : "cancel"));
    auto stt = spawn_sphinx_stream(sys, {7, caf::actor{self}, audio_encoding::mulaw, model,
                                         calls});
    self->receive([](provider_opened& o) { CHECK(o.id == 7); },
                  caf::after(10s) >> [] { FAIL("no provider_opened within 10 s"); });
    self->send(stt, audio_bytes(1600, 0xFF));  // 200 ms of silence
    if (finish)
      self->send(stt, stt_finish_atom_v);
    else
      self->send(stt, stream_cancel_atom_v);
    self->receive([](provider_closed& c) { CHECK(c.id == 7); },
                  caf::after(10s) >> [] { FAIL("no provider_closed within 10 s"); });
  }
  // A decoder whose model cannot load fails the stream, it does not crash the node.
  model.hmm = "/nonexistent";
  spawn_sphinx_stream(sys, {8, caf::actor{self}, audio_encoding::mulaw, model, calls});
  self->receive([](provider_failure& f) {
                  CHECK(f.id == 8);
                  CHECK(f.kind == failure_kind::rejected);
                },
                caf::after(10s) >> [] { FAIL("no provider_failure within 10 s"); });
}
