#include "net/codec/tts_codec.hpp"

#include <nlohmann/json.hpp>

#include "net/codec/error_detail.hpp"
#include "net/codec/json_fields.hpp"
#include "net/codec/url_encode.hpp"

namespace sb::codec {

using nlohmann::json;
using nlohmann::ordered_json;

std::string elevenlabs_stream_path(std::string_view base_path, std::string_view voice,
                                   std::string_view output_format) {
  try {
    return join_path(base_path, "/v1/text-to-speech/" + url_encode(voice) +
                                  "/stream?output_format=" + url_encode(output_format));
  } catch (const std::exception&) {
    return {};
  }
}

std::string elevenlabs_body(std::string_view text, std::string_view model_id) {
  try {
    ordered_json j;
    j["text"] = std::string{text};
    if (!model_id.empty())
      j["model_id"] = std::string{model_id};
    return dump_json(j);
  } catch (const std::exception&) {
    return {};
  }
}

namespace {

std::string text_of(const json& v) {
  return v.is_string() ? v.get<std::string>() : dump_json(v);
}

// One FastAPI validation item: "body.text: field required".
std::string validation_item(const json& item) {
  if (!item.is_object())
    return text_of(item);
  std::string loc;
  if (const json* l = member(item, "loc"); l != nullptr && l->is_array()) {
    for (const auto& part : *l) {
      if (!loc.empty())
        loc += '.';
      loc += text_of(part);
    }
  }
  std::string msg;
  if (const json* m = member(item, "msg"); m != nullptr)
    msg = text_of(*m);
  else if (const json* m2 = member(item, "message"); m2 != nullptr)
    msg = text_of(*m2);
  return loc.empty() ? msg : msg.empty() ? loc : loc + ": " + msg;
}

} // namespace

std::string elevenlabs_error_detail(int status, std::string_view body) {
  try {
    json j;
    if (!parse_json(body, j)) {
      const json* detail = member(j, "detail");
      if (detail != nullptr && detail->is_object()) {
        std::string code, message;
        if (const json* s = member(*detail, "status"); s != nullptr && !s->is_null())
          code = text_of(*s);
        if (const json* m = member(*detail, "message"); m != nullptr && !m->is_null())
          message = text_of(*m);
        if (!code.empty() || !message.empty())
          return format_detail(status, code, message);
      } else if (detail != nullptr && detail->is_array() && !detail->empty()) {
        std::string message = validation_item(detail->front());
        if (detail->size() > 1)
          message += " (+" + std::to_string(detail->size() - 1) + " more)";
        return format_detail(status, "validation", message);
      } else if (detail != nullptr && detail->is_string()) {
        return format_detail(status, {}, detail->get<std::string>());
      }
    }
    return format_detail(status, {}, body);
  } catch (const std::exception&) {
    return std::to_string(status);
  }
}

std::string deepgram_speak_path(std::string_view base_path, std::string_view model) {
  try {
    std::string qs = "/v1/speak?";
    if (!model.empty())
      qs += "model=" + url_encode(model) + "&";
    qs += "encoding=mulaw&sample_rate=8000&container=none";
    return join_path(base_path, qs);
  } catch (const std::exception&) {
    return {};
  }
}

std::string deepgram_speak_body(std::string_view text) {
  try {
    ordered_json j;
    j["text"] = std::string{text};
    return dump_json(j);
  } catch (const std::exception&) {
    return {};
  }
}

} // namespace sb::codec
