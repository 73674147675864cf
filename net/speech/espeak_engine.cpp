#include "net/speech/espeak_engine.hpp"

#include <atomic>

#include <espeak-ng/speak_lib.h>

namespace sb::speech {

namespace {

std::atomic<bool> in_use{false};

int collect(short* wav, int n, espeak_EVENT* events) {
  if (wav && n > 0 && events && events->user_data) {
    auto* out = static_cast<std::vector<int16_t>*>(events->user_data);
    out->insert(out->end(), wav, wav + n);
  }
  return 0;
}

} // namespace

bool espeak_engine::open(const espeak_options& opts, std::string& error) {
  if (in_use.exchange(true)) {
    error = "espeak-ng is already in use in this process (one engine only)";
    return false;
  }
  rate_ = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0,
                            opts.data_path.empty() ? nullptr : opts.data_path.c_str(), 0);
  if (rate_ <= 0) {
    error = "espeak-ng failed to initialise (is espeak-ng-data installed?)";
    in_use = false;
    return false;
  }
  open_ = true;
  espeak_SetSynthCallback(collect);
  if (espeak_SetVoiceByName(opts.voice.c_str()) != EE_OK) {
    error = "espeak-ng has no voice '" + opts.voice + "' (espeak-ng --voices lists them)";
    return false;
  }
  espeak_SetParameter(espeakRATE, opts.rate, 0);
  return true;
}

espeak_engine::~espeak_engine() {
  if (open_)
    espeak_Terminate();
  if (open_ || rate_ > 0)
    in_use = false;
}

std::vector<int16_t> espeak_engine::synthesize(const std::string& text) {
  std::vector<int16_t> out;
  if (!open_ || text.empty())
    return out;
  espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr,
               &out);
  espeak_Synchronize();
  return out;
}

} // namespace sb::speech
