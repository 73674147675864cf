// pocketsphinx, the offline recogniser: one decoder per call, with a JSGF grammar per
// dialog state (a named search each) and a dictionary that holds only the grammars'
// words. Blocking; used only by its call's STT actor (actors/offline/sphinx_stt_actor.cpp).
// Audio is 16 kHz 16-bit mono (the phone line's 8 kHz is upsampled first).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

struct ps_decoder_s;

namespace sb::speech {

struct sphinx_model {
  std::string hmm;         // acoustic model directory
  std::string dict;        // pronunciation dictionary (grammar-only, see pronunciations.hpp)
  // Named grammars (JSGF text); the first is active at the start.
  std::vector<std::pair<std::string, std::string>> grammars;
  double vad_threshold = 2.0;  // -vad_threshold: higher = less noise taken for speech
  // Speech (16 kHz) decoded once when the decoder opens, its words dropped: the live
  // cepstral mean then starts from speech on the phone line, not from the silence or line
  // noise of a call's first seconds (without it, a call's first answer was often lost).
  std::vector<int16_t> prime;
};

class sphinx_decoder {
public:
  sphinx_decoder() = default;
  ~sphinx_decoder();
  sphinx_decoder(const sphinx_decoder&) = delete;
  sphinx_decoder& operator=(const sphinx_decoder&) = delete;

  // Loads the model and the grammars; false with `error` set if it cannot. The first
  // utterance listens with the first grammar.
  bool open(const sphinx_model& m, std::string& error);
  // Feeds audio to the current utterance; returns whether the decoder's VAD is inside
  // speech after it (false if no utterance is started).
  bool process(const int16_t* samples, size_t n);
  // Ends the current utterance and returns its hypothesis ("" if none): decoded, from
  // its start to here, with the grammar it was started with.
  std::string end();
  // Starts the next utterance with `grammar` (one of the model's names); false if it
  // cannot (an unknown name: the utterance then keeps the grammar it had).
  bool start(const std::string& grammar);
  // The grammar of the current (or last) utterance.
  const std::string& grammar() const { return grammar_; }

private:
  ps_decoder_s* ps_ = nullptr;
  bool in_utt_ = false;
  std::string grammar_;
};

} // namespace sb::speech
