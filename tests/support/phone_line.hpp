// A caller's words as the node hears them: espeak-ng's voice (the espeak-ng command, a
// process apart from the node's synthesiser) through a phone line, 22,050 Hz -> 8 kHz
// mu-law. The same words give the same bytes every time. Header-only: the tests that use
// it link the speech library (the resampler) already.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "net/codec/audio_codec.hpp"
#include "net/speech/resampler.hpp"
#include "tests/support/processes.hpp"

namespace sb::test {

// `espeak-ng -w FILE` writes a WAV file of 16-bit mono samples at 22,050 Hz.
inline audio_bytes phone_line(const std::string& dir, const std::string& text) {
  using namespace std::chrono_literals;
  auto wav = dir + "/say.wav";
  child say({"/usr/bin/espeak-ng", "-v", "en-us", "-s", "160", "-w", wav, text},
            dir + "/espeak.log");
  REQUIRE(say.wait_exit(20s) == 0);
  std::ifstream f(wav, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(f), {}};
  auto at = bytes.find("data");
  REQUIRE(at != std::string::npos);
  std::vector<int16_t> pcm((bytes.size() - at - 8) / 2);
  std::memcpy(pcm.data(), bytes.data() + at + 8, pcm.size() * 2);
  speech::resampler down(22050, 8000, speech::resampler::quality::high);
  auto line = down.process(pcm.data(), pcm.size());
  auto rest = down.flush();
  line.insert(line.end(), rest.begin(), rest.end());
  audio_bytes mulaw;
  for (auto s : line)
    mulaw.push_back(codec::linear_to_mulaw(s));
  return mulaw;
}

} // namespace sb::test
