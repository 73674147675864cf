// What of an agent's reply the caller has heard, for the transcript when barge-in cuts it.
// The sentences go to speech in order and their audio plays back to back, in real time,
// from the first audio handed to the caller. After each sentence's audio the call sends a
// mark; the caller echoes it when playback reaches it, which pins the playback position
// (the end of that sentence) at that moment. At a cut, every sentence that ended before
// the position counts whole, and the sentence playing then counts with the share of its
// words that its played share of audio stands for. Plain time arithmetic, no clock reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace sb {

class spoken_reply {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using millis = std::chrono::milliseconds;

  void reset() { *this = spoken_reply{}; }
  // A sentence handed to speech; returns its index. Its audio plays after every earlier
  // sentence's.
  size_t sentence(std::string text);
  // The sentence with this text that has not had all its audio yet (the first such), the
  // one a TTS request for `text` speaks; nullopt when there is none.
  std::optional<size_t> index_of(const std::string& text) const;
  // Audio of sentence `index` went to the caller at `now`.
  void audio(size_t index, millis length, time_point now);
  // Sentence `index` has all its audio (its mark follows it).
  void done(size_t index);
  // One stream spoke the first `n` sentences (streaming TTS, no boundaries in its audio):
  // the audio counted so far is shared out among them by their length in characters, and
  // those wholly covered by it count as done.
  void spread(size_t n);
  // The caller echoed the mark after sentence `index` at `now`.
  void played(size_t index, time_point now);
  // What had been heard by `now`: whole sentences, then the first words of the one that
  // was playing. `whole` is set when nothing was cut (every sentence played to its end).
  // A sentence with no audio (its synthesis failed or had not begun) was never heard.
  std::string heard(time_point now, bool* whole = nullptr) const;
  size_t sentences() const { return items_.size(); }

private:
  struct item {
    std::string text;
    millis audio{0};
    bool done = false;
  };
  millis position(time_point now) const;
  std::vector<item> items_;
  bool started_ = false;
  time_point anchor_at_{};  // playback was at anchor_pos_ at this time
  millis anchor_pos_{0};
  millis queued_{0};        // all the audio handed to the caller (every item's)
};

} // namespace sb
