#include "actors/text/spoken_reply.hpp"

#include <algorithm>
#include <sstream>

namespace sb {

void spoken_reply::sentence(std::string text) {
  items_.push_back(item{std::move(text), millis{0}, false});
}

void spoken_reply::audio(millis length, time_point now) {
  if (filling_ >= items_.size())
    return;
  if (!started_) {
    started_ = true;
    anchor_at_ = now;
    anchor_pos_ = millis{0};
  }
  items_[filling_].audio += length;
}

std::optional<size_t> spoken_reply::sentence_done() {
  if (filling_ >= items_.size())
    return std::nullopt;
  items_[filling_].done = true;
  return filling_++;
}

void spoken_reply::played(size_t index, time_point now) {
  if (index >= items_.size() || !started_)
    return;
  millis end{0};
  for (size_t i = 0; i <= index; ++i)
    end += items_[i].audio;
  anchor_at_ = now;
  anchor_pos_ = end;
}

spoken_reply::millis spoken_reply::position(time_point now) const {
  if (!started_)
    return millis{0};
  auto pos = anchor_pos_ + std::chrono::duration_cast<millis>(now - anchor_at_);
  millis queued{0};
  for (auto& i : items_)
    queued += i.audio;
  return std::clamp(pos, millis{0}, queued);  // it cannot play what has not come
}

std::string spoken_reply::heard(time_point now, bool* whole) const {
  auto pos = position(now);
  std::string out;
  auto add = [&](const std::string& t) {
    if (t.empty())
      return;
    if (!out.empty())
      out += ' ';
    out += t;
  };
  bool all = true;
  millis start{0};
  for (auto& i : items_) {
    auto end = start + i.audio;
    if (i.done && i.audio.count() > 0 && end <= pos) {
      add(i.text);
    } else {
      all = false;
      if (pos > start && i.audio.count() > 0) {
        // The words its played share of audio stands for (at least the first word).
        std::istringstream in(i.text);
        std::vector<std::string> words;
        for (std::string w; in >> w;)
          words.push_back(std::move(w));
        auto share = static_cast<double>((pos - start).count()) /
                     static_cast<double>(i.audio.count());
        auto n = std::clamp<size_t>(static_cast<size_t>(share * words.size() + 0.5), 1,
                                    words.size());
        std::string part;
        for (size_t w = 0; w < n; ++w)
          part += (w ? " " : "") + words[w];
        add(part);
      }
      break;
    }
    start = end;
  }
  if (whole)
    *whole = all;
  return out;
}

} // namespace sb
