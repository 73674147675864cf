// Exotel Voicebot applet, bidirectional AgentStream (protocols.md section 2).
// Audio is 16-bit little-endian PCM both ways. One documented conflict is handled: when
// `start.media_format.encoding` says mu-law (the "beta extension" variant), inbound audio
// is taken as mu-law and outbound audio is sent as mu-law too.
#include <algorithm>
#include <cctype>

#include "net/codec/audio_codec.hpp"
#include "net/codec/json_fields.hpp"
#include "net/codec/json_telephony_codec.hpp"

namespace sb::codec {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

bool declares_mulaw(std::string enc) {
  std::transform(enc.begin(), enc.end(), enc.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return enc.rfind("audio/x-mulaw", 0) == 0 || enc.rfind("audio/mulaw", 0) == 0 ||
         enc == "mulaw" || enc == "ulaw";
}

class exotel_codec final : public json_telephony_codec {
public:
  dialect kind() const override { return dialect::exotel; }

  std::string encode_media(const uint8_t* mulaw, size_t n) override {
    try {
      if (encoding_ == audio_encoding::mulaw)
        return encode("media", "media", "payload", base64_encode(mulaw, n));
      audio_bytes pcm = mulaw_to_pcm16le(mulaw, n);
      return encode("media", "media", "payload", base64_encode(pcm.data(), pcm.size()));
    } catch (const std::exception&) {
      return {};
    }
  }

  // 200 ms at 8 kHz: 1600 mu-law bytes = 3200 PCM bytes (10 x 320). See the note on
  // out_frame_mulaw_bytes() about Exotel's "3.2 KB minimum".
  size_t out_frame_mulaw_bytes() const override { return 1600; }
  uint32_t out_frame_ms() const override { return 200; }

protected:
  std::string_view sid_key() const override { return "stream_sid"; }

  std::optional<decode_error> read_start(const json& start, tel_start& out) override {
    if (auto e = read_text(start, "stream_sid", "start.stream_sid", out.stream_sid))
      return e;
    if (auto e = read_text(start, "call_sid", "start.call_sid", out.call_sid))
      return e;
    if (auto e = read_text(start, "account_sid", "start.account_sid", out.account_sid))
      return e;
    if (auto e = read_text(start, "from", "start.from", out.from))
      return e;
    if (auto e = read_text(start, "to", "start.to", out.to))
      return e;
    if (auto e = read_params(start, "custom_parameters", "start.custom_parameters",
                             out.params))
      return e;
    out.encoding = audio_encoding::pcm16le;
    out.sample_rate = 8000;
    const json* fmt = member(start, "media_format");
    if (fmt == nullptr || fmt->is_null())
      return std::nullopt;
    if (!fmt->is_object())
      return wrong_type("start.media_format", "an object");
    std::string enc;
    if (auto e = read_text(*fmt, "encoding", "start.media_format.encoding", enc))
      return e;
    if (declares_mulaw(enc))
      out.encoding = audio_encoding::mulaw;
    uint64_t rate = 0;
    if (auto e = read_counter(*fmt, "sample_rate", "start.media_format.sample_rate", rate))
      return e;
    if (rate != 0)
      out.sample_rate = rate > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(rate);
    // bit_rate is informational.
    return std::nullopt;
  }

  void on_started(const tel_start& s) override { encoding_ = s.encoding; }

  std::optional<decode_error> read_media(const json& media, tel_media& out) override {
    if (auto e = read_counter(media, "chunk", "media.chunk", out.chunk))
      return e;
    if (auto e = read_counter(media, "timestamp", "media.timestamp", out.timestamp_ms))
      return e;
    if (auto e = read_payload(media, out.audio))
      return e;
    if (encoding_ == audio_encoding::pcm16le && out.audio.size() % 2 != 0)
      return decode_error{"PCM16 media payload has an odd length (" +
                          std::to_string(out.audio.size()) + " bytes)"};
    return std::nullopt;
  }

  bool read_media_flat(const flat_json& doc, int media, tel_media& out) override {
    auto chunk = flat_json::counter(doc.find(media, "chunk"));
    auto ts = flat_json::counter(doc.find(media, "timestamp"));
    if (!chunk || !ts || !payload_flat(doc, media, out.audio))
      return false;
    if (encoding_ == audio_encoding::pcm16le && out.audio.size() % 2 != 0)
      return false;  // read_media's error
    out.chunk = *chunk;
    out.timestamp_ms = *ts;
    return true;
  }

  std::optional<decode_error> read_stop(const json* stop, tel_stop& out) override {
    if (stop == nullptr)
      return std::nullopt;
    return read_text(*stop, "reason", "stop.reason", out.reason);
  }

private:
  audio_encoding encoding_ = audio_encoding::pcm16le;
};

} // namespace

std::unique_ptr<telephony_codec> make_exotel_codec() {
  return std::make_unique<exotel_codec>();
}

} // namespace sb::codec
