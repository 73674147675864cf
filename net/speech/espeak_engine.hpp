// espeak-ng, the offline synthesiser: one process-wide instance that is not thread-safe,
// so the node keeps exactly one engine and uses it from one (detached) actor only
// (actors/offline/espeak_actor.cpp). Blocking: a sentence takes about a millisecond.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sb::speech {

struct espeak_options {
  std::string voice = "en-us";
  int rate = 160;  // words per minute (80..450)
  std::string data_path;  // "" = the library's default (espeak-ng-data)
};

class espeak_engine {
public:
  // Initialises the library (once per process); false with `error` set if it cannot.
  bool open(const espeak_options& opts, std::string& error);
  ~espeak_engine();
  // The text as 16-bit mono PCM at sample_rate().
  std::vector<int16_t> synthesize(const std::string& text);
  int sample_rate() const { return rate_; }

private:
  int rate_ = 0;
  bool open_ = false;
};

} // namespace sb::speech
