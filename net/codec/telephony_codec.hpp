// Telephony media-stream dialects (Twilio Media Streams, Exotel Voicebot): one text frame in,
// one typed event out; typed commands in, one text frame out. No sockets, no pacing: the
// edge owns those. Wire formats: protocols.md sections 1 (Twilio) and 2 (Exotel).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "messages/telephony.hpp"
#include "net/codec/decode_error.hpp"

namespace sb::codec {

// An event of a type this codec does not know (the dialects add events over time): the
// edge counts and skips it. Never reaches a call actor.
struct tel_unknown {
  std::string event;
};

using inbound_event =
  std::variant<tel_connected, tel_start, tel_media, tel_mark, tel_dtmf, tel_stop, tel_unknown>;

// One codec per connection: it is stateful (the stream sid of `start`). Not thread-safe;
// no exception escapes any member.
//
// decode() rules, both dialects:
// - `connected` is accepted any time and carries nothing.
// - An event of an unknown type is returned as tel_unknown (not an error), whatever it
//   carries; a frame that is not a JSON object with a string `event` is still an error.
// - `start` must come once; the stream sid is `start.<sid>` (falling back to the top-level
//   sid); if both are present they must agree. Only 8000 Hz streams are accepted (the
//   whole pipeline is 8 kHz): any other sample rate is a decode_error.
// - `media`, `mark` and `dtmf` before `start` are errors; so is a top-level stream sid that
//   is missing or differs from the one of `start`.
// - `stop` is accepted before `start` (a caller may hang up first); after `start` its sid
//   must match like any other frame.
// - Numbers (`chunk`, `timestamp`, `sample_rate`...) may be JSON numbers or decimal strings.
// - A rejected frame leaves the codec's state unchanged.
// - Twilio media of a track other than inbound (`outbound`) is returned as a tel_media with
//   EMPTY audio (payload not decoded): callers skip empty media. No error is raised
//   because such frames are legitimate Twilio traffic, not protocol violations.
class telephony_codec {
public:
  virtual ~telephony_codec() = default;

  virtual dialect kind() const = 0;

  // Decodes one text frame.
  virtual std::variant<inbound_event, decode_error> decode(std::string_view text) = 0;

  // Outbound frames for the current stream sid ("" before `start`). Audio comes in as
  // mu-law 8 kHz; Exotel sends it as base64 PCM16LE (twice the bytes). The caller chunks
  // audio into messages of whole out_frame_mulaw_bytes() frames (out_frame_ms() each).
  virtual std::string encode_media(const uint8_t* mulaw, size_t n) = 0;
  virtual std::string encode_mark(std::string_view name) = 0;
  virtual std::string encode_clear() = 0;
  // Media frames of a started stream are read without a JSON tree when their shape is
  // plain (flat_json); off = every frame through the full parser. The same result either
  // way (the fuzz targets compare the two); on by default.
  virtual void set_media_fast_path(bool) {}

  // Twilio: 160 bytes / 20 ms. Exotel: 1600 bytes / 200 ms = 3200 PCM bytes. Exotel asks
  // for multiples of 320 bytes and "min 3.2 KB (100 ms)", which only agree at 16 kHz: at
  // 8 kHz 3.2 KB is 200 ms. 200 ms chunks satisfy both readings.
  virtual size_t out_frame_mulaw_bytes() const = 0;
  virtual uint32_t out_frame_ms() const = 0;

  const std::string& stream_sid() const { return stream_sid_; }
  bool started() const { return started_; }

protected:
  // For decode(): errors for a frame that needs `start` first and carries `sid`
  // (nullptr when the frame had no top-level sid). `sid_path` names the field.
  std::optional<decode_error> check_stream(std::string_view event, const std::string* sid,
                                           std::string_view sid_path) const;

  std::string stream_sid_;
  bool started_ = false;
};

std::unique_ptr<telephony_codec> make_telephony_codec(dialect d);
std::unique_ptr<telephony_codec> make_twilio_codec();
std::unique_ptr<telephony_codec> make_exotel_codec();

} // namespace sb::codec
