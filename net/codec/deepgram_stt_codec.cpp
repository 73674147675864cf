#include "net/codec/deepgram_stt_codec.hpp"

#include "net/codec/error_detail.hpp"
#include "net/codec/json_fields.hpp"
#include "net/codec/url_encode.hpp"

namespace sb::codec {

using nlohmann::json;

std::string deepgram_listen_path(std::string_view base_path, const stt_query& q) {
  try {
    std::string qs;
    auto add = [&qs](std::string_view key, std::string_view value) {
      qs += qs.empty() ? '?' : '&';
      qs += key;
      qs += '=';
      qs += url_encode(value);
    };
    if (!q.model.empty())
      add("model", q.model);
    if (!q.language.empty())
      add("language", q.language);
    add("encoding", q.encoding == audio_encoding::pcm16le ? "linear16" : "mulaw");
    add("sample_rate", std::to_string(q.sample_rate));
    add("channels", "1");
    add("interim_results", "true");
    add("endpointing", q.endpointing_ms > 0 ? std::to_string(q.endpointing_ms) : "false");
    if (q.utterance_end_ms > 0)
      add("utterance_end_ms", std::to_string(q.utterance_end_ms));
    add("vad_events", "true");
    add("punctuate", "true");
    add("smart_format", "true");
    return join_path(base_path, "/v1/listen" + qs);
  } catch (const std::exception&) {
    return {};
  }
}

std::string deepgram_auth(std::string_view key) {
  try {
    return "Token " + std::string{key};
  } catch (const std::exception&) {
    return {};
  }
}

namespace {

stt_event parse_results(const json& j) {
  const json* channel = member(j, "channel");
  if (channel == nullptr)
    return missing_field("channel");
  if (!channel->is_object())
    return wrong_type("channel", "an object");
  const json* alts = member(*channel, "alternatives");
  if (alts == nullptr)
    return missing_field("channel.alternatives");
  if (!alts->is_array())
    return wrong_type("channel.alternatives", "an array");
  if (alts->empty())
    return missing_field("channel.alternatives[0]");
  const json& alt = alts->front();
  if (!alt.is_object())
    return wrong_type("channel.alternatives[0]", "an object");
  auto text = required_string(alt, "transcript", "channel.alternatives[0].transcript");
  if (text.error)
    return *text.error;

  stt_transcript out;
  out.text = std::move(text.value);
  if (const json* c = member(alt, "confidence"); c != nullptr && !c->is_null()) {
    if (!c->is_number())
      return wrong_type("channel.alternatives[0].confidence", "a number");
    out.confidence = c->get<double>();
  }
  for (auto [key, flag] : {std::pair{"is_final", &out.is_final},
                           std::pair{"speech_final", &out.speech_final}}) {
    const json* v = member(j, key);
    if (v == nullptr || v->is_null())
      continue;
    if (!v->is_boolean())
      return wrong_type(key, "a boolean");
    *flag = v->get<bool>();
  }
  // The audio the result covers: [start, start + duration) seconds of the stream.
  double span[2] = {0, 0};
  for (auto [key, slot] : {std::pair{"start", &span[0]}, std::pair{"duration", &span[1]}}) {
    const json* v = member(j, key);
    if (v == nullptr || v->is_null())
      continue;
    if (!v->is_number())
      return wrong_type(key, "a number");
    *slot = v->get<double>();
  }
  // A timing no stream can have (negative, or past max_result_end_s) is taken as unknown
  // (0): the words still count, only the replay bookkeeping that reads end_s skips it.
  double end = span[0] + span[1];
  out.end_s = span[0] >= 0 && span[1] >= 0 && end <= max_result_end_s ? end : 0;
  return out;
}

} // namespace

stt_event parse_deepgram_message(std::string_view text) {
  try {
    json j;
    if (auto err = parse_json(text, j))
      return *err;
    if (!j.is_object())
      return decode_error{"message is not a JSON object"};
    auto type = required_string(j, "type", "type");
    if (type.error)
      return *type.error;
    if (type.value == "Results")
      return parse_results(j);
    if (type.value == "SpeechStarted")
      return stt_speech_started{};
    if (type.value == "UtteranceEnd")
      return stt_utterance_end{};
    return stt_ignored{std::move(type.value)};
  } catch (const std::exception& e) {
    return decode_error{std::string{"internal error: "} + e.what()};
  }
}

std::string deepgram_error_detail(int status, std::string_view dg_error_header,
                                  std::string_view body) {
  try {
    json j;
    if (!parse_json(body, j) && j.is_object()) {
      std::string code, message;
      for (const char* key : {"err_code", "category"}) {
        if (const json* v = member(j, key); v != nullptr && v->is_string()) {
          code = v->get<std::string>();
          break;
        }
      }
      for (const char* key : {"err_msg", "message", "details"}) {
        if (const json* v = member(j, key); v != nullptr && v->is_string()) {
          message = v->get<std::string>();
          break;
        }
      }
      if (!code.empty() || !message.empty())
        return format_detail(status, code, message);
    }
    if (!dg_error_header.empty())
      return format_detail(status, {}, dg_error_header);
    return format_detail(status, {}, body);
  } catch (const std::exception&) {
    return std::to_string(status);
  }
}

std::string close_reason_detail(int code, std::string_view reason) {
  try {
    std::string out = std::to_string(code);
    std::string r = clean_text(reason, 123);  // a close reason is at most 123 bytes
    if (!r.empty())
      out += ' ' + r;
    return out;
  } catch (const std::exception&) {
    return {};
  }
}

} // namespace sb::codec
