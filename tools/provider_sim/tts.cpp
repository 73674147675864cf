#include "tools/provider_sim/tts.hpp"

#include <nlohmann/json.hpp>

#include "tools/provider_sim/provider_errors.hpp"
#include "tools/provider_sim/tone.hpp"

namespace sb::sim {

namespace {

using json = nlohmann::ordered_json;

std::string query_value(const http_request& req, const char* name,
                        const std::string& fallback = {}) {
  auto it = req.query.find(name);
  return it == req.query.end() ? fallback : it->second;
}

// Applies the fault "close" / "hang" modes and the tone body to an accepted request.
route_result tone_reply(const sim_services& s, tone_spec spec, const std::string& text,
                        std::string content_type, lease slot, int64_t now) {
  spec.total_ms = uint64_t(utf8_length(text)) * s.cfg.tts_ms_per_char;
  spec.chunk_ms = s.cfg.tts_chunk_ms;
  spec.first_due_us = now + ms_to_us(s.cfg.tts_first_byte_ms);
  http_reply r;
  r.content_type = std::move(content_type);
  r.chunked = true;
  r.body = std::make_unique<tone_stream>(spec);
  auto fault = s.faults.get(fault_target::tts);
  if (fault == fault_mode::close) r.cut_after = 1;
  r.hang = fault == fault_mode::hang;
  return {std::move(r), std::move(slot)};
}

http_reply elevenlabs_unprocessable(const char* loc, const char* msg, const char* type) {
  json loc_path = json::array({"body"});
  if (*loc) loc_path.push_back(loc);
  return json_reply(
      422,
      {{"detail", json::array({{{"loc", loc_path}, {"msg", msg}, {"type", type}}})}});
}

} // namespace

route_result handle_elevenlabs_tts(sim_services& s, const http_request& req,
                                   const std::string& voice_id, int64_t now) {
  std::string key = req.xi_api_key;
  if (key.empty() && s.cfg.require_key)
    return {elevenlabs_error(401, "invalid_api_key", "Invalid API key"), {}};
  if (key.empty()) key = "anonymous";

  std::string format = query_value(req, "output_format", "mp3_44100_128");
  tone_spec spec;
  std::string ctype;
  if (format == "ulaw_8000") {
    ctype = "audio/basic";
  } else if (format == "pcm_8000") {
    spec.format = tone_format::pcm16le;
    ctype = "audio/pcm";
  } else {
    return {elevenlabs_error(400, "invalid_output_format",
                             "The simulator only supports output_format ulaw_8000 and "
                             "pcm_8000, got '" +
                                 format + "'."),
            {}};
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return {elevenlabs_unprocessable("", "Expecting value", "value_error.jsondecode"),
            {}};
  if (!body.contains("text"))
    return {elevenlabs_unprocessable("text", "field required", "value_error.missing"),
            {}};
  if (!body["text"].is_string())
    return {elevenlabs_unprocessable("text", "str type expected", "type_error.str"), {}};
  std::string text = body["text"].get<std::string>();

  auto fault = s.faults.get(fault_target::tts);
  if (fault == fault_mode::http500)
    return {elevenlabs_error(500, "internal_server_error", "An internal error occurred."),
            {}};
  if (fault == fault_mode::http429)
    return {
        elevenlabs_error(429, "system_busy",
                         "We are experiencing heavy traffic, please try again later."),
        {}};
  lease slot = s.counters.acquire(api::tts_elevenlabs, key, s.cfg.tts_limit);
  auto current = std::to_string(s.counters.current(api::tts_elevenlabs, key));
  auto maximum = std::to_string(s.cfg.tts_limit);
  if (!slot) {
    auto r = elevenlabs_error(429, "too_many_concurrent_requests",
                              "Too many concurrent requests. Your plan allows " +
                                  maximum + " concurrent requests.");
    r.header("current-concurrent-requests", current);
    r.header("maximum-concurrent-requests", maximum);
    return {std::move(r), {}};
  }
  auto out = tone_reply(s, spec, text, ctype, std::move(slot), now);
  out.reply.header("request-id", s.ids.next_uuid());
  out.reply.header("x-character-count", std::to_string(utf8_length(text)));
  out.reply.header("x-voice-id", voice_id);
  out.reply.header("current-concurrent-requests", current);
  out.reply.header("maximum-concurrent-requests", maximum);
  return out;
}

route_result handle_deepgram_speak(sim_services& s, const http_request& req,
                                   int64_t now) {
  std::string rid = s.ids.next_uuid();
  std::string key = auth_token(req.authorization, "Token");
  if (key.empty()) key = auth_token(req.authorization, "Bearer");
  if (key.empty() && s.cfg.require_key)
    return {deepgram_error(401, "INVALID_AUTH", "Invalid credentials.", rid), {}};
  if (key.empty()) key = "anonymous";

  std::string encoding = query_value(req, "encoding", "mp3");
  std::string rate_text = query_value(req, "sample_rate", "8000");
  std::string container = query_value(req, "container", "wav");
  unsigned rate = 0;
  try {
    rate = unsigned(std::stoul(rate_text));
  } catch (...) {
  }
  bool rate_ok =
      rate == 8000 || rate == 16000 ||
      (encoding == "linear16" && (rate == 24000 || rate == 32000 || rate == 48000));
  tone_spec spec;
  spec.sample_rate = rate;
  spec.format = encoding == "linear16" ? tone_format::pcm16le : tone_format::mulaw;
  spec.wav_header = container == "wav";
  if ((encoding != "mulaw" && encoding != "linear16") || !rate_ok ||
      (container != "none" && container != "wav"))
    return {deepgram_error(400, "INVALID_QUERY_PARAMETER",
                           "Unsupported audio format: encoding=" + encoding +
                               " sample_rate=" + rate_text + " container=" + container,
                           rid),
            {}};

  std::string text;
  if (req.content_type.rfind("text/plain", 0) == 0) {
    text = req.body;
  } else {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("text") ||
        !body["text"].is_string())
      return {deepgram_error(400, "PAYLOAD_ERROR",
                             "Request body must be JSON with a string field 'text'.",
                             rid),
              {}};
    text = body["text"].get<std::string>();
  }

  auto fault = s.faults.get(fault_target::tts);
  if (fault == fault_mode::http500)
    return {deepgram_error(500, "INTERNAL_SERVER_ERROR", "Internal server error.", rid),
            {}};
  lease slot;
  if (fault != fault_mode::http429)
    slot = s.counters.acquire(api::tts_deepgram, key, s.cfg.dg_tts_limit);
  if (!slot)
    return {deepgram_error(429, "Too Many Requests", "Please try again later.", rid), {}};

  std::string ctype = spec.wav_header       ? "audio/wav"
                      : encoding == "mulaw" ? "audio/mulaw;rate=" + std::to_string(rate)
                                            : "audio/l16;rate=" + std::to_string(rate);
  auto out = tone_reply(s, spec, text, ctype, std::move(slot), now);
  out.reply.header("dg-request-id", rid);
  out.reply.header("dg-model-name", query_value(req, "model", "aura-2-thalia-en"));
  out.reply.header("dg-model-uuid", "5b0c0000-0000-4000-8000-00000000aa2a");
  out.reply.header("dg-char-count", std::to_string(utf8_length(text)));
  return out;
}

} // namespace sb::sim
