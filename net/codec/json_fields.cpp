#include "net/codec/json_fields.hpp"

#include <cmath>

#include "net/codec/flat_json.hpp"

namespace sb::codec {

using nlohmann::json;

namespace {

// The offset of the first '[' or '{' (outside strings) that opens level max_json_depth + 1,
// or npos. Exact for valid JSON; for invalid JSON either answer is followed by an error.
size_t too_deep_at(std::string_view text) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_json_depth)
        return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

} // namespace

std::optional<decode_error> parse_json(std::string_view text, json& out) {
  if (auto at = too_deep_at(text); at != std::string_view::npos)
    return decode_error{"JSON nested deeper than " + std::to_string(max_json_depth) +
                        " levels at byte " + std::to_string(at)};
  try {
    out = json::parse(text.begin(), text.end());
    return std::nullopt;
  } catch (const json::parse_error& e) {
    // nlohmann counts from 1; report the 0-based offset of the offending byte (equal to
    // text.size() when the input ended too early).
    size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    return decode_error{"invalid JSON at byte " + std::to_string(offset)};
  } catch (const std::exception& e) {
    return decode_error{std::string{"invalid JSON: "} + e.what()};
  }
}

std::string dump_json(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string dump_json(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

const json* member(const json& obj, std::string_view key) {
  if (!obj.is_object())
    return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::optional<uint64_t> as_u64(const json& v) {
  if (v.is_number_unsigned())
    return v.get<uint64_t>();
  if (v.is_number_integer()) {
    auto i = v.get<int64_t>();
    if (i < 0)
      return std::nullopt;
    return static_cast<uint64_t>(i);
  }
  if (v.is_number_float()) {
    auto d = v.get<double>();
    if (!std::isfinite(d) || d < 0 || d != std::floor(d) || d >= 1.8e19)
      return std::nullopt;
    return static_cast<uint64_t>(d);
  }
  if (!v.is_string())
    return std::nullopt;
  return decimal_u64(v.get_ref<const std::string&>());
}

decode_error missing_field(std::string_view path) {
  return decode_error{"missing field '" + std::string{path} + "'"};
}

decode_error wrong_type(std::string_view path, std::string_view expected) {
  return decode_error{"field '" + std::string{path} + "' is not " + std::string{expected}};
}

string_field required_string(const json& obj, std::string_view key,
                             std::string_view path) {
  const json* v = member(obj, key);
  if (v == nullptr)
    return {{}, missing_field(path)};
  if (!v->is_string())
    return {{}, wrong_type(path, "a string")};
  return {v->get<std::string>(), std::nullopt};
}

} // namespace sb::codec
