#include "net/codec/openai_codec.hpp"

#include <limits>

#include "net/codec/error_detail.hpp"
#include "net/codec/json_fields.hpp"

namespace sb::codec {

using nlohmann::json;
using nlohmann::ordered_json;

std::string openai_chat_body(std::string_view model, const std::vector<chat_message>& msgs,
                             uint32_t max_tokens) {
  try {
    ordered_json j;
    j["model"] = std::string{model};
    auto& arr = j["messages"] = ordered_json::array();
    for (const auto& m : msgs)
      arr.push_back(ordered_json{{"role", m.role}, {"content", m.content}});
    j["stream"] = true;
    j["stream_options"] = ordered_json{{"include_usage", true}};
    if (max_tokens > 0)
      j["max_completion_tokens"] = max_tokens;
    return dump_json(j);
  } catch (const std::exception&) {
    return {};
  }
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                        s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// An optional string-or-null member: absent/null -> "", string -> value.
std::optional<decode_error> optional_string(const json& obj, std::string_view key,
                                            std::string_view path, std::string& out) {
  const json* v = member(obj, key);
  if (v == nullptr || v->is_null())
    return std::nullopt;
  if (!v->is_string())
    return wrong_type(path, "a string");
  out = v->get<std::string>();
  return std::nullopt;
}

std::variant<llm_usage, decode_error> read_usage(const json& usage) {
  if (!usage.is_object())
    return wrong_type("usage", "an object");
  llm_usage out;
  for (auto [key, field] : {std::pair{"prompt_tokens", &out.prompt_tokens},
                            std::pair{"completion_tokens", &out.completion_tokens}}) {
    const json* v = member(usage, key);
    if (v == nullptr || v->is_null())
      continue;
    auto n = v->is_number() ? as_u64(*v) : std::nullopt;
    if (!n)
      return wrong_type(std::string{"usage."} + key, "a non-negative integer");
    *field = *n > std::numeric_limits<uint32_t>::max()
               ? std::numeric_limits<uint32_t>::max()
               : static_cast<uint32_t>(*n);
  }
  return out;
}

std::string error_message(const json& err) {
  if (err.is_string())
    return err.get<std::string>();
  if (const json* m = member(err, "message"); m != nullptr && m->is_string())
    return m->get<std::string>();
  return dump_json(err);
}

} // namespace

llm_event parse_openai_chunk(std::string_view data) {
  try {
    std::string_view d = trim(data);
    if (d == "[DONE]")
      return llm_stream_end{};
    json j;
    if (auto err = parse_json(d, j))
      return *err;
    if (!j.is_object())
      return decode_error{"chunk is not a JSON object"};
    if (const json* err = member(j, "error"); err != nullptr && !err->is_null())
      return llm_api_error{error_message(*err)};

    std::optional<llm_usage> usage;
    if (const json* u = member(j, "usage"); u != nullptr && !u->is_null()) {
      auto r = read_usage(*u);
      if (auto* e = std::get_if<decode_error>(&r))
        return *e;
      usage = std::get<llm_usage>(r);
    }
    const json* choices = member(j, "choices");
    if (choices != nullptr && !choices->is_null() && !choices->is_array())
      return wrong_type("choices", "an array");
    if (choices == nullptr || choices->is_null() || choices->empty()) {
      if (usage)
        return *usage;
      if (choices == nullptr)
        return missing_field("choices");
      return decode_error{"chunk has no choices and no usage"};
    }
    const json& choice = choices->front();
    if (!choice.is_object())
      return wrong_type("choices[0]", "an object");
    llm_delta out;
    out.usage = usage;
    if (auto e = optional_string(choice, "finish_reason", "choices[0].finish_reason",
                                 out.finish_reason))
      return *e;
    const json* delta = member(choice, "delta");
    if (delta != nullptr && !delta->is_null()) {
      if (!delta->is_object())
        return wrong_type("choices[0].delta", "an object");
      if (auto e = optional_string(*delta, "content", "choices[0].delta.content", out.text))
        return *e;
    }
    return out;
  } catch (const std::exception& e) {
    return decode_error{std::string{"internal error: "} + e.what()};
  }
}

std::string openai_error_detail(int status, std::string_view body) {
  try {
    json j;
    if (!parse_json(body, j)) {
      const json* err = member(j, "error");
      if (err != nullptr && err->is_object()) {
        std::string code;
        for (const char* key : {"code", "type"}) {
          if (const json* v = member(*err, key); v != nullptr && !v->is_null()) {
            code = v->is_string() ? v->get<std::string>() : dump_json(*v);
            if (!code.empty())
              break;
          }
        }
        std::string message;
        if (const json* m = member(*err, "message"); m != nullptr && m->is_string())
          message = m->get<std::string>();
        return format_detail(status, code, message);
      }
      if (err != nullptr && err->is_string())
        return format_detail(status, {}, err->get<std::string>());
    }
    return format_detail(status, {}, body);
  } catch (const std::exception&) {
    return std::to_string(status);
  }
}

} // namespace sb::codec
