// Twilio Media Streams, bidirectional <Connect><Stream> (protocols.md section 1).
#include "net/codec/audio_codec.hpp"
#include "net/codec/error_detail.hpp"
#include "net/codec/json_fields.hpp"
#include "net/codec/json_telephony_codec.hpp"

namespace sb::codec {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

class twilio_codec final : public json_telephony_codec {
public:
  dialect kind() const override { return dialect::twilio; }

  std::string encode_media(const uint8_t* mulaw, size_t n) override {
    try {
      return encode("media", "media", "payload", base64_encode(mulaw, n));
    } catch (const std::exception&) {
      return {};
    }
  }

  size_t out_frame_mulaw_bytes() const override { return 160; }
  uint32_t out_frame_ms() const override { return 20; }

protected:
  std::string_view sid_key() const override { return "streamSid"; }

  std::optional<decode_error> read_start(const json& start, tel_start& out) override {
    if (auto e = read_text(start, "streamSid", "start.streamSid", out.stream_sid))
      return e;
    if (auto e = read_text(start, "callSid", "start.callSid", out.call_sid))
      return e;
    if (auto e = read_text(start, "accountSid", "start.accountSid", out.account_sid))
      return e;
    if (auto e = read_params(start, "customParameters", "start.customParameters",
                             out.params))
      return e;
    out.encoding = audio_encoding::mulaw;
    out.sample_rate = 8000;
    const json* fmt = member(start, "mediaFormat");
    if (fmt == nullptr || fmt->is_null())
      return std::nullopt;
    if (!fmt->is_object())
      return wrong_type("start.mediaFormat", "an object");
    std::string enc;
    if (auto e = read_text(*fmt, "encoding", "start.mediaFormat.encoding", enc))
      return e;
    if (!enc.empty() && enc != "audio/x-mulaw")
      return decode_error{"unsupported media encoding " + quote_text(enc)};
    uint64_t rate = 0;
    if (auto e = read_counter(*fmt, "sampleRate", "start.mediaFormat.sampleRate", rate))
      return e;
    if (rate != 0)
      out.sample_rate = rate > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(rate);
    return std::nullopt;
  }

  std::optional<decode_error> read_media(const json& media, tel_media& out) override {
    if (auto e = read_counter(media, "chunk", "media.chunk", out.chunk))
      return e;
    if (auto e = read_counter(media, "timestamp", "media.timestamp", out.timestamp_ms))
      return e;
    std::string track;
    if (auto e = read_text(media, "track", "media.track", track))
      return e;
    // Only the caller's audio is kept; other tracks come back with empty audio.
    if (!track.empty() && track != "inbound" && track != "inbound_track")
      return std::nullopt;
    return read_payload(media, out.audio);
  }

  bool read_media_flat(const flat_json& doc, int media, tel_media& out) override {
    auto chunk = flat_json::counter(doc.find(media, "chunk"));
    auto ts = flat_json::counter(doc.find(media, "timestamp"));
    std::string_view track;
    if (!chunk || !ts || !text_flat(doc, media, "track", track))
      return false;
    out.chunk = *chunk;
    out.timestamp_ms = *ts;
    if (!track.empty() && track != "inbound" && track != "inbound_track")
      return true;  // another track: empty audio, as read_media gives it
    return payload_flat(doc, media, out.audio);
  }

  std::optional<decode_error> read_stop(const json*, tel_stop&) override {
    return std::nullopt;
  }

};

} // namespace

std::unique_ptr<telephony_codec> make_twilio_codec() {
  return std::make_unique<twilio_codec>();
}

} // namespace sb::codec
