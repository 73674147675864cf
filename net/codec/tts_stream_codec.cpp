#include "net/codec/tts_stream_codec.hpp"

#include <nlohmann/json.hpp>

#include "net/codec/audio_codec.hpp"
#include "net/codec/json_fields.hpp"
#include "net/codec/url_encode.hpp"

namespace sb::codec {

using nlohmann::json;

std::string elevenlabs_input_path(std::string_view base_path, std::string_view voice,
                                  std::string_view model_id, std::string_view output_format) {
  try {
    std::string q = "?output_format=" + url_encode(output_format);
    if (!model_id.empty())
      q = "?model_id=" + url_encode(model_id) + "&output_format=" + url_encode(output_format);
    return join_path(base_path, "/v1/text-to-speech/" + url_encode(voice) + "/stream-input" + q);
  } catch (const std::exception&) {
    return {};
  }
}

std::string elevenlabs_input_open() { return R"({"text":" "})"; }

std::string elevenlabs_input_text(std::string_view text, bool flush) {
  try {
    json j;
    std::string t{text};
    if (t.empty() || t.back() != ' ')
      t += ' ';
    j["text"] = t;
    if (flush)
      j["flush"] = true;
    return dump_json(j);
  } catch (const std::exception&) {
    return {};
  }
}

std::string elevenlabs_input_end() { return R"({"text":""})"; }

tts_stream_event parse_elevenlabs_output(std::string_view message) {
  tts_stream_event ev;
  try {
    json j;
    if (auto bad = parse_json(message, j); bad || !j.is_object()) {
      ev.kind = tts_stream_event::error;
      ev.message = "a message from the TTS stream that is not a JSON object";
      return ev;
    }
    if (const json* a = member(j, "audio"); a != nullptr && a->is_string()) {
      auto bytes = base64_decode(a->get<std::string>());
      if (!bytes) {
        ev.kind = tts_stream_event::error;
        ev.message = "audio in the TTS stream that is not base64";
        return ev;
      }
      ev.kind = tts_stream_event::audio;
      ev.bytes = std::move(*bytes);
      return ev;
    }
    if (const json* f = member(j, "isFinal"); f != nullptr && f->is_boolean() && f->get<bool>()) {
      ev.kind = tts_stream_event::final;
      return ev;
    }
    const json* e = member(j, "error");
    const json* m = member(j, "message");
    if (e != nullptr || m != nullptr) {
      ev.kind = tts_stream_event::error;
      auto text = [](const json* v) {
        return v == nullptr ? std::string{} : v->is_string() ? v->get<std::string>()
                                                              : dump_json(*v);
      };
      ev.message = text(e);
      if (m != nullptr && !text(m).empty())
        ev.message += (ev.message.empty() ? "" : ": ") + text(m);
      if (ev.message.empty())  // {"message":""} or {"error":""}: still an error, say so
        ev.message = "the TTS stream reported an error without a reason";
      return ev;
    }
  } catch (const std::exception&) {
    ev.kind = tts_stream_event::error;
    ev.message = "a message from the TTS stream that could not be read";
  }
  return ev;
}

std::string deepgram_speak_ws_path(std::string_view base_path, std::string_view model) {
  try {
    std::string q = "?";
    if (!model.empty())
      q += "model=" + url_encode(model) + "&";
    return join_path(base_path, "/v1/speak" + q + "encoding=mulaw&sample_rate=8000");
  } catch (const std::exception&) {
    return {};
  }
}

std::string deepgram_speak_text(std::string_view text) {
  try {
    json j;
    j["type"] = "Speak";
    j["text"] = std::string{text};
    return dump_json(j);
  } catch (const std::exception&) {
    return {};
  }
}

std::string deepgram_speak_flush() { return R"({"type":"Flush"})"; }

tts_stream_event parse_deepgram_speak_output(std::string_view message) {
  tts_stream_event ev;
  try {
    json j;
    if (auto bad = parse_json(message, j); bad || !j.is_object()) {
      ev.kind = tts_stream_event::error;
      ev.message = "a message from the TTS stream that is not a JSON object";
      return ev;
    }
    const json* type = member(j, "type");
    std::string t = type != nullptr && type->is_string() ? type->get<std::string>() : "";
    if (t == "Flushed") {
      ev.kind = tts_stream_event::final;
    } else if (t == "Error") {
      ev.kind = tts_stream_event::error;
      for (const char* k : {"err_code", "code", "err_msg", "description", "message"})
        if (const json* v = member(j, k); v != nullptr && v->is_string()) {
          if (!ev.message.empty())
            ev.message += ": ";
          ev.message += v->get<std::string>();
        }
      if (ev.message.empty())
        ev.message = "error from the TTS stream";
    }
  } catch (const std::exception&) {
    ev.kind = tts_stream_event::error;
    ev.message = "a message from the TTS stream that could not be read";
  }
  return ev;
}

} // namespace sb::codec
