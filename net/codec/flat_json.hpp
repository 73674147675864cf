// A scanner for the one shape of frame a call sends fifty times a second: a JSON object of
// depth at most two whose values are strings, plain numbers or objects of those. It finds
// the members without building a tree (no allocation), and it answers only for text it is
// sure of: valid JSON, ASCII strings without escapes, no arrays, true, false or null, no
// key twice in one object, at most `capacity` members. Anything else is `false`, and the
// caller takes the full parser, so the answer for any text is the full parser's.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sb::codec {

// Decimal digits only, at most 20 of them, within uint64_t: the value; else nullopt.
std::optional<uint64_t> decimal_u64(std::string_view s);

class flat_json {
public:
  enum class kind : uint8_t { string, number, object };
  struct member {
    int parent = -1;         // index of the object member holding it; -1 = top level
    std::string_view key;
    std::string_view value;  // a string's text without its quotes, a number's text
    kind type = kind::string;
  };
  static constexpr size_t capacity = 24;

  // True when `text` is such an object; its members are then readable below.
  bool scan(std::string_view text);

  // The member `key` of the object `parent` (-1 = the top level), or nullptr.
  const member* find(int parent, std::string_view key) const;
  int index_of(const member* m) const { return static_cast<int>(m - members_.data()); }

  // A counter as the telephony codecs read it: absent -> 0; a decimal string or a JSON
  // integer of digits only -> its value; nullopt for anything the full parser must judge
  // (a sign, a fraction, an exponent, overflow, a string that is not digits).
  static std::optional<uint64_t> counter(const member* m);

private:
  bool object(int parent, int depth);
  bool string(std::string_view& out);
  bool number(std::string_view& out);
  void skip_ws();

  std::string_view t_;
  size_t pos_ = 0;
  std::array<member, capacity> members_{};
  size_t n_ = 0;
};

} // namespace sb::codec
