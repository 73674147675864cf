#include "net/speech/sphinx_decoder.hpp"

#include <pocketsphinx.h>

namespace sb::speech {

sphinx_decoder::~sphinx_decoder() {
  if (ps_) {
    if (in_utt_)
      ps_end_utt(ps_);
    ps_free(ps_);
  }
}

bool sphinx_decoder::open(const sphinx_model& m, std::string& error) {
  if (m.grammars.empty()) {
    error = "no grammar";
    return false;
  }
  auto vad = std::to_string(m.vad_threshold);
  cmd_ln_t* cfg = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", m.hmm.c_str(), "-dict",
                              m.dict.c_str(), "-samprate", "16000", "-logfn", "/dev/null",
                              "-vad_threshold", vad.c_str(), nullptr);
  if (!cfg) {
    error = "pocketsphinx refused its settings (model " + m.hmm + ", dictionary " + m.dict + ")";
    return false;
  }
  ps_ = ps_init(cfg);
  cmd_ln_free_r(cfg);
  if (!ps_) {
    error = "pocketsphinx could not load the model " + m.hmm + " with the dictionary " + m.dict;
    return false;
  }
  for (auto& [name, jsgf] : m.grammars)
    if (ps_set_jsgf_string(ps_, name.c_str(), jsgf.c_str()) < 0) {
      error = "pocketsphinx refused the grammar of '" + name + "'";
      return false;
    }
  ps_set_search(ps_, m.grammars.front().first.c_str());
  if (!m.prime.empty() && ps_start_utt(ps_) == 0) {
    ps_process_raw(ps_, m.prime.data(), m.prime.size(), FALSE, FALSE);
    ps_end_utt(ps_);
  }
  return start(m.grammars.front().first);
}

bool sphinx_decoder::process(const int16_t* samples, size_t n) {
  if (!ps_ || !in_utt_)
    return false;
  ps_process_raw(ps_, samples, n, FALSE, FALSE);
  return ps_get_in_speech(ps_) != 0;
}

std::string sphinx_decoder::end() {
  std::string text;
  if (!ps_ || !in_utt_)
    return text;
  ps_end_utt(ps_);
  in_utt_ = false;
  int32 score = 0;
  if (auto* hyp = ps_get_hyp(ps_, &score))
    text = hyp;
  return text;
}

bool sphinx_decoder::start(const std::string& grammar) {
  if (!ps_)
    return false;
  if (in_utt_)
    end();
  const char* now = ps_get_search(ps_);
  bool found = (now && grammar == now) || ps_set_search(ps_, grammar.c_str()) == 0;
  if (found)
    grammar_ = grammar;
  in_utt_ = ps_start_utt(ps_) == 0;
  return found && in_utt_;
}

} // namespace sb::speech
