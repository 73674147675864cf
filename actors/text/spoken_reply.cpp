#include "actors/text/spoken_reply.hpp"

#include <algorithm>
#include <sstream>

namespace sb {

size_t spoken_reply::sentence(std::string text) {
  items_.push_back(item{std::move(text), millis{0}, false});
  return items_.size() - 1;
}

std::optional<size_t> spoken_reply::index_of(const std::string& text) const {
  for (size_t i = 0; i < items_.size(); ++i)
    if (!items_[i].done && items_[i].text == text)
      return i;
  return std::nullopt;
}

void spoken_reply::audio(size_t index, millis length, time_point now) {
  if (index >= items_.size())
    return;
  if (!started_) {
    started_ = true;
    anchor_at_ = now;
    anchor_pos_ = millis{0};
  } else if (anchor_pos_ + std::chrono::duration_cast<millis>(now - anchor_at_) > queued_) {
    // Playback that ran out of audio waited: it goes on from here, not from before.
    anchor_at_ = now;
    anchor_pos_ = queued_;
  }
  items_[index].audio += length;
  queued_ += length;
}

void spoken_reply::done(size_t index) {
  if (index < items_.size())
    items_[index].done = true;
}

void spoken_reply::spread(size_t n) {
  n = std::min(n, items_.size());
  const millis total = queued_;  // shared out again: the total stays
  size_t chars = 0;
  for (size_t k = 0; k < n; ++k)
    chars += items_[k].text.size();
  if (chars == 0)
    return;
  millis given{0};
  for (size_t k = 0; k < items_.size(); ++k) {
    auto share = k >= n        ? millis{0}
                 : k + 1 == n ? total - given
                              : millis{total.count() * static_cast<int64_t>(items_[k].text.size()) /
                                       static_cast<int64_t>(chars)};
    items_[k].audio = share;
    items_[k].done = k + 1 < n;  // the last one's audio may still be coming
    given += share;
  }
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
  return std::clamp(pos, millis{0}, queued_);  // it cannot play what has not come
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
    if (i.audio.count() == 0) {
      all = all && i.done;  // never spoken; one still to come means the reply was cut
      continue;
    }
    auto end = start + i.audio;
    if (i.done && end <= pos) {
      add(i.text);
    } else {
      all = false;
      if (pos > start) {
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
