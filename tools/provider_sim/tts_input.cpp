#include "tools/provider_sim/tts_input.hpp"

#include <algorithm>

#include "net/codec/audio_codec.hpp"

namespace sb::sim {

tts_input_stream::tts_input_stream(bool deepgram, tone_format format, tts_input_timing timing,
                                   int64_t now)
    : deepgram_(deepgram), format_(format), timing_(timing), last_input_(now) {}

void tts_input_stream::push(int64_t due, std::string text, bool binary) {
  out_.push_back({due, std::move(text), 0, {}, binary});
}

void tts_input_stream::close_with(int64_t due, uint16_t code, std::string reason) {
  if (closing_) return;
  closing_ = true;
  out_.push_back({due, {}, code, std::move(reason)});
}

void tts_input_stream::synthesise(const std::string& text, int64_t now) {
  size_t chars = utf8_length(text);
  characters_ += chars;
  if (text.find_first_not_of(' ') == std::string::npos)
    return;  // ElevenLabs' opening " " and keep-alives carry no speech
  tone_spec spec;
  spec.format = format_;
  spec.total_ms = uint64_t(chars) * timing_.ms_per_char;
  spec.chunk_ms = timing_.chunk_ms;
  tone_stream tone(spec);
  int64_t due = std::max(now + timing_.first_byte_us, audio_until_);
  while (tone.next_due() != never) {
    std::string piece = tone.take();
    if (deepgram_) {
      push(due, std::move(piece), true);
      continue;
    }
    auto b64 = codec::base64_encode(reinterpret_cast<const uint8_t*>(piece.data()),
                                    piece.size());
    push(due, R"({"audio":")" + b64 + R"(","isFinal":null,"normalizedAlignment":null})");
  }
  audio_until_ = due;
}

void tts_input_stream::on_deepgram(const std::string& type, const nlohmann::json& j,
                                   int64_t now) {
  if (type == "Speak" && j.contains("text") && j["text"].is_string()) {
    synthesise(j["text"].get<std::string>(), now);
  } else if (type == "Flush") {
    push(std::max(now, audio_until_),
         nlohmann::json{{"type", "Flushed"}, {"sequence_id", flushes_++}}.dump());
  } else if (type == "Clear") {
    std::deque<ws_message> kept;
    for (auto& m : out_)
      if (!m.binary) kept.push_back(std::move(m));
    out_ = std::move(kept);
    audio_until_ = now;
    push(now, nlohmann::json{{"type", "Cleared"}, {"sequence_id", flushes_++}}.dump());
  } else if (type == "Close") {
    out_.clear();
    close_with(now, 1000, "");
  } else {
    push(now, nlohmann::json{{"type", "Error"},
                             {"err_code", "INVALID_MESSAGE"},
                             {"err_msg", "Unknown or malformed message type '" + type + "'."}}
                  .dump());
    close_with(now, 1008, "invalid message");
  }
}

void tts_input_stream::on_text(std::string_view message, int64_t now) {
  if (closing_) return;
  last_input_ = now;
  auto j = nlohmann::json::parse(message, nullptr, false);
  if (deepgram_) {
    bool ok = !j.is_discarded() && j.is_object() && j.contains("type") && j["type"].is_string();
    on_deepgram(ok ? j["type"].get<std::string>() : std::string{}, j, now);
    return;
  }
  if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string()) {
    // ElevenLabs answers a message it cannot read with an error and closes.
    push(now, nlohmann::json{{"message", "every message needs a string field 'text'"},
                             {"error", "invalid_message"},
                             {"code", 1008}}
                  .dump());
    close_with(now, 1008, "invalid message");
    return;
  }
  std::string text = j["text"].get<std::string>();
  if (text.empty()) {
    // End of stream: what was synthesised goes out, then isFinal and the close.
    int64_t at = std::max(now, audio_until_);
    push(at, R"({"isFinal":true})");
    close_with(at, 1000, "");
    return;
  }
  synthesise(text, now);
}

void tts_input_stream::on_tick(int64_t now) {
  if (!closing_ && out_.empty() && now - last_input_ > timing_.inactivity_us)
    close_with(now, 1008, "inactivity timeout: no text for 20 s");
}

void tts_input_stream::shutdown(int64_t now) {
  out_.clear();
  close_with(now, 1001, "server shutting down");
}

ws_message tts_input_stream::pop() {
  ws_message m = std::move(out_.front());
  out_.pop_front();
  return m;
}

} // namespace sb::sim
