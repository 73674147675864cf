#include "actors/text/sentence_splitter.hpp"

#include <algorithm>
#include <array>

namespace sb {

namespace {

enum class mark_kind { none, stop, dot, ellipsis, cjk };

struct mark {
  size_t len = 0;
  mark_kind kind = mark_kind::none;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool starts_with_at(std::string_view s, size_t i, std::string_view what) {
  return s.size() - i >= what.size() && s.compare(i, what.size(), what) == 0;
}

// The sentence terminator at s[i], if any.
mark terminator_at(std::string_view s, size_t i) {
  char c = s[i];
  if (c == '.')
    return {1, mark_kind::dot};
  if (c == '!' || c == '?')
    return {1, mark_kind::stop};
  if (starts_with_at(s, i, "\xE2\x80\xA6"))  // …
    return {3, mark_kind::ellipsis};
  if (starts_with_at(s, i, "\xE0\xA5\xA4") || starts_with_at(s, i, "\xE0\xA5\xA5"))
    return {3, mark_kind::stop};  // Devanagari danda, double danda
  for (std::string_view m : {"\xE3\x80\x82", "\xEF\xBC\x81", "\xEF\xBC\x9F"})  // 。！？
    if (starts_with_at(s, i, m))
      return {3, mark_kind::cjk};
  return {};
}

// Length of a closing quote or bracket at s[i], 0 if none.
size_t closer_at(std::string_view s, size_t i) {
  char c = s[i];
  if (c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' || c == '*')
    return 1;
  for (std::string_view m : {"\xE2\x80\x9D", "\xE2\x80\x99", "\xC2\xBB", "\xE3\x80\x8D",
                             "\xEF\xBC\x89"})  // ” ’ » 」 ）
    if (starts_with_at(s, i, m))
      return m.size();
  return 0;
}

// True when s[i] starts a UTF-8 sequence that is cut off by the end of s.
bool incomplete_utf8_at(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  return s.size() - i < len;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

std::string lower_ascii(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

constexpr std::array<std::string_view, 18> abbreviations = {
  "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs",
  "etc", "e.g", "i.e", "eg", "ie", "approx", "mt", "capt", "fig"};

// "u.s", "ph.d", "u.s.a": dot-separated pieces of one or two letters. Not "4.99" or
// "example.com".
bool dotted_abbreviation(std::string_view w) {
  size_t piece = 0;
  for (char c : w) {
    if (c == '.') {
      if (piece == 0)
        return false;
      piece = 0;
    } else if (c >= 'a' && c <= 'z' && piece < 2) {
      ++piece;
    } else {
      return false;
    }
  }
  return piece > 0;
}

} // namespace

sentence_splitter::sentence_splitter(size_t max_chars)
  : max_chars_(std::max<size_t>(max_chars, 16)) {}

size_t sentence_splitter::emit(size_t end, std::vector<std::string>& out) {
  std::string_view piece = trim(std::string_view{buf_}.substr(0, end));
  if (!piece.empty())
    out.emplace_back(piece);
  while (end < buf_.size() && is_space(buf_[end]))
    ++end;
  buf_.erase(0, end);
  return end;
}

bool sentence_splitter::dots_end_sentence(size_t run_start, size_t run_end) const {
  if (run_end - run_start != 1)
    return false;  // "..", "...", "…": an ellipsis, maybe mid-sentence
  size_t word_start = run_start;
  while (word_start > 0 && !is_space(buf_[word_start - 1]))
    --word_start;
  std::string_view word{buf_.data() + word_start, run_start - word_start};
  while (!word.empty() && (word.front() == '(' || word.front() == '[' ||
                           word.front() == '"' || word.front() == '\''))
    word.remove_prefix(1);
  if (word.empty())
    return true;
  std::string w = lower_ascii(word);
  if (std::find(abbreviations.begin(), abbreviations.end(), w) != abbreviations.end())
    return false;
  if (w.find('.') != std::string::npos && dotted_abbreviation(w))
    return false;  // "u.s", "ph.d"
  if (w.size() == 1 && w[0] >= 'a' && w[0] <= 'z')
    return false;  // an initial: "J. Smith"
  bool digits = std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits && trim(std::string_view{buf_}.substr(0, run_start)) == word)
    return false;  // a list number: "1. Open settings"
  return true;
}

void sentence_splitter::scan(std::vector<std::string>& out) {
  size_t i = scan_;
  while (i < buf_.size()) {
    char c = buf_[i];
    if (c == '\n' || c == '\r') {
      emit(i + 1, out);
      i = 0;
      continue;
    }
    mark m = terminator_at(buf_, i);
    if (m.kind == mark_kind::none) {
      ++i;
      continue;
    }
    // The whole run of terminators ("?!", "..."), then any closing quotes/brackets.
    size_t run_start = i;
    size_t j = i;
    bool strong = false, cjk = false;
    for (mark t; j < buf_.size() && (t = terminator_at(buf_, j)).len != 0; j += t.len) {
      strong = strong || t.kind == mark_kind::stop || t.kind == mark_kind::cjk;
      cjk = cjk || t.kind == mark_kind::cjk;
    }
    size_t run_end = j;
    for (size_t k; j < buf_.size() && (k = closer_at(buf_, j)) != 0; j += k) {
    }
    if (j >= buf_.size() || incomplete_utf8_at(buf_, j)) {
      i = run_start;  // cannot decide yet: wait for the next token
      break;
    }
    bool boundary = cjk || (is_space(buf_[j]) &&
                            (strong || dots_end_sentence(run_start, run_end)));
    if (boundary) {
      emit(j, out);
      i = 0;
      continue;
    }
    i = j;
  }
  scan_ = std::min(i, buf_.size());
}

void sentence_splitter::cut_long(std::vector<std::string>& out) {
  while (buf_.size() > max_chars_) {
    size_t cut = 0;
    for (size_t p = max_chars_ - 1; p > 0 && cut == 0; --p) {
      char c = buf_[p];
      if ((c == ',' || c == ';' || c == ':') && is_space(buf_[p + 1]))
        cut = p + 1;
    }
    for (size_t p = max_chars_; p > 0 && cut == 0; --p)
      if (is_space(buf_[p]))
        cut = p;
    if (cut == 0) {
      cut = max_chars_;
      while (cut > 0 && is_continuation(buf_[cut]))
        --cut;
      if (cut == 0)
        cut = max_chars_;  // not UTF-8 anyway
    }
    size_t removed = emit(cut, out);
    scan_ = scan_ > removed ? scan_ - removed : 0;
  }
}

std::vector<std::string> sentence_splitter::feed(std::string_view token) {
  std::vector<std::string> out;
  buf_.append(token.data(), token.size());
  if (scan_ == 0) {
    size_t lead = 0;
    while (lead < buf_.size() && is_space(buf_[lead]))
      ++lead;
    buf_.erase(0, lead);
  }
  scan(out);
  cut_long(out);
  return out;
}

std::string sentence_splitter::flush() {
  std::string out{trim(buf_)};
  buf_.clear();
  scan_ = 0;
  return out;
}

} // namespace sb
