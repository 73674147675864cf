#include "tools/provider_sim/tts_input.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "net/codec/audio_codec.hpp"

namespace sb::sim {

tts_input_stream::tts_input_stream(tone_format format, tts_input_timing timing, int64_t now)
    : format_(format), timing_(timing), last_input_(now) {}

void tts_input_stream::push(int64_t due, std::string text) {
  out_.push_back({due, std::move(text), 0, {}});
}

void tts_input_stream::close_with(int64_t due, uint16_t code, std::string reason) {
  if (closing_) return;
  closing_ = true;
  out_.push_back({due, {}, code, std::move(reason)});
}

void tts_input_stream::on_text(std::string_view message, int64_t now) {
  if (closing_) return;
  last_input_ = now;
  auto j = nlohmann::json::parse(message, nullptr, false);
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
  size_t chars = utf8_length(text);
  characters_ += chars;
  bool blank = text.find_first_not_of(' ') == std::string::npos;
  if (blank) return;  // the opening " " and keep-alives carry no speech
  tone_spec spec;
  spec.format = format_;
  spec.total_ms = uint64_t(chars) * timing_.ms_per_char;
  spec.chunk_ms = timing_.chunk_ms;
  tone_stream tone(spec);
  int64_t due = std::max(now + timing_.first_byte_us, audio_until_);
  while (tone.next_due() != never) {
    std::string piece = tone.take();
    auto b64 = codec::base64_encode(reinterpret_cast<const uint8_t*>(piece.data()),
                                    piece.size());
    push(due, R"({"audio":")" + b64 + R"(","isFinal":null,"normalizedAlignment":null})");
  }
  audio_until_ = due;
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
