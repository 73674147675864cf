// One call's offline STT stream: a pocketsphinx decoder with the dialog's grammars,
// listening with the grammar of the call's dialog state. Each utterance is decoded whole
// with one grammar: a turn ends at the decoder's VAD, and the next utterance starts at
// that point of the audio with the grammar of the state the dialog answers that turn
// with (the audio that arrives before the answer is held, then decoded), so what it
// hears depends on the audio and the dialog, not on thread timing. Detached (its own
// thread): creating the decoder takes about 20 ms and each 20 ms frame a fraction of a
// millisecond of blocking work, kept off CAF's shared scheduler and the I/O thread.
// Speaks provider_events.hpp to its owner like the Deepgram client: provider_opened,
// stt_speech_started, stt_transcript (final, speech_final at the end of a turn found by
// the decoder's own VAD), and provider_closed after stt_finish_atom or stream_cancel_atom.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/offline/dialog_calls.hpp"
#include "messages/audio.hpp"
#include "messages/provider_events.hpp"
#include "net/speech/sphinx_decoder.hpp"

namespace sb {

struct sphinx_stream_args {
  stream_id id = 0;
  caf::actor owner;
  audio_encoding encoding = audio_encoding::mulaw;
  speech::sphinx_model model;  // its grammars are named grammar_name(state)
  std::shared_ptr<dialog_calls> calls;
};

std::string grammar_name(size_t state);

caf::actor spawn_sphinx_stream(caf::actor_system& sys, sphinx_stream_args args);

} // namespace sb
