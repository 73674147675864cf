// Small non-throwing helpers over nlohmann::json shared by the codecs in net/codec.
// Field paths in messages are dotted ("media.payload") so errors point at the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "net/codec/decode_error.hpp"

namespace sb::codec {

// Deepest nesting of arrays and objects parse_json accepts. The wire formats nest a few
// levels; nlohmann's dump() recurses once per level, so a frame of a million '[' would
// overflow the stack of the thread that prints it (found by fuzz_twilio).
inline constexpr size_t max_json_depth = 64;

// Parses `text` into `out`. Returns the error on failure: "invalid JSON at byte N", N the
// 0-based offset of the offending byte (text.size() when the text ended too early), or
// "JSON nested deeper than 64 levels at byte N".
std::optional<decode_error> parse_json(std::string_view text, nlohmann::json& out);

// Serializes without throwing: invalid UTF-8 in strings is replaced by U+FFFD.
std::string dump_json(const nlohmann::json& j);
std::string dump_json(const nlohmann::ordered_json& j);

// The member `key` of object `obj`, or nullptr when `obj` is not an object or lacks it.
const nlohmann::json* member(const nlohmann::json& obj, std::string_view key);

// A non-negative integer given as a JSON number or as a decimal string ("42").
// nullopt for anything else (negative, fractional, empty, non-digits, overflow).
std::optional<uint64_t> as_u64(const nlohmann::json& v);

// The outcome of looking up a string field: the value, or the error to report.
// `path` names the field in the error ("missing field 'media.payload'").
struct string_field {
  std::string value;
  std::optional<decode_error> error;
};
string_field required_string(const nlohmann::json& obj, std::string_view key,
                             std::string_view path);

decode_error missing_field(std::string_view path);
decode_error wrong_type(std::string_view path, std::string_view expected);

} // namespace sb::codec
