#include "net/codec/flat_json.hpp"

#include <limits>

namespace sb::codec {

namespace {
bool digit(char c) { return c >= '0' && c <= '9'; }
} // namespace

void flat_json::skip_ws() {
  while (pos_ < t_.size() &&
         (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r'))
    ++pos_;
}

bool flat_json::scan(std::string_view text) {
  t_ = text;
  pos_ = 0;
  n_ = 0;
  skip_ws();
  if (pos_ >= t_.size() || t_[pos_] != '{')
    return false;
  ++pos_;
  if (!object(-1, 1))
    return false;
  skip_ws();
  return pos_ == t_.size();
}

// After the opening brace: members up to and including the closing one.
bool flat_json::object(int parent, int depth) {
  skip_ws();
  if (pos_ < t_.size() && t_[pos_] == '}') {
    ++pos_;
    return true;
  }
  for (;;) {
    skip_ws();
    member m;
    m.parent = parent;
    if (pos_ >= t_.size() || t_[pos_] != '"' || !string(m.key))
      return false;
    if (find(parent, m.key) != nullptr)
      return false;  // a key twice: the full parser decides which one counts
    skip_ws();
    if (pos_ >= t_.size() || t_[pos_] != ':')
      return false;
    ++pos_;
    skip_ws();
    if (pos_ >= t_.size() || n_ == capacity)
      return false;
    char c = t_[pos_];
    size_t at = n_;
    if (c == '"') {
      m.type = kind::string;
      if (!string(m.value))
        return false;
      members_[n_++] = m;
    } else if (c == '-' || digit(c)) {
      m.type = kind::number;
      if (!number(m.value))
        return false;
      members_[n_++] = m;
    } else if (c == '{' && depth == 1) {
      m.type = kind::object;
      members_[n_++] = m;
      ++pos_;
      if (!object(static_cast<int>(at), depth + 1))
        return false;
    } else {
      return false;  // arrays, true/false/null, deeper objects: the full parser
    }
    skip_ws();
    if (pos_ >= t_.size())
      return false;
    if (t_[pos_] == '}') {
      ++pos_;
      return true;
    }
    if (t_[pos_] != ',')
      return false;
    ++pos_;
  }
}

// At the opening quote: the text up to the closing one, printable ASCII without escapes.
bool flat_json::string(std::string_view& out) {
  size_t start = ++pos_;
  while (pos_ < t_.size()) {
    auto c = static_cast<unsigned char>(t_[pos_]);
    if (c == '"') {
      out = t_.substr(start, pos_ - start);
      ++pos_;
      return true;
    }
    if (c == '\\' || c < 0x20 || c >= 0x80)
      return false;
    ++pos_;
  }
  return false;
}

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool flat_json::number(std::string_view& out) {
  size_t start = pos_;
  auto at = [&](size_t i) { return i < t_.size() ? t_[i] : '\0'; };
  if (at(pos_) == '-')
    ++pos_;
  if (at(pos_) == '0') {
    ++pos_;
  } else if (digit(at(pos_))) {
    while (digit(at(pos_)))
      ++pos_;
  } else {
    return false;
  }
  if (at(pos_) == '.') {
    ++pos_;
    if (!digit(at(pos_)))
      return false;
    while (digit(at(pos_)))
      ++pos_;
  }
  if (at(pos_) == 'e' || at(pos_) == 'E') {
    ++pos_;
    if (at(pos_) == '+' || at(pos_) == '-')
      ++pos_;
    if (!digit(at(pos_)))
      return false;
    while (digit(at(pos_)))
      ++pos_;
  }
  out = t_.substr(start, pos_ - start);
  return true;
}

const flat_json::member* flat_json::find(int parent, std::string_view key) const {
  for (size_t i = 0; i < n_; ++i)
    if (members_[i].parent == parent && members_[i].key == key)
      return &members_[i];
  return nullptr;
}

std::optional<uint64_t> decimal_u64(std::string_view s) {
  if (s.empty() || s.size() > 20)
    return std::nullopt;
  uint64_t r = 0;
  for (char c : s) {
    if (!digit(c))
      return std::nullopt;
    auto d = static_cast<uint64_t>(c - '0');
    if (r > (std::numeric_limits<uint64_t>::max() - d) / 10)
      return std::nullopt;
    r = r * 10 + d;
  }
  return r;
}

std::optional<uint64_t> flat_json::counter(const member* m) {
  if (m == nullptr)
    return 0;
  if (m->type == kind::object)
    return std::nullopt;
  // A JSON number with a leading zero is not JSON ("01"); the grammar above already
  // refused it, and a string "007" is 7, as the full parser reads it.
  return decimal_u64(m->value);
}

} // namespace sb::codec
