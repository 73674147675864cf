// The shared body of fuzz_twilio and fuzz_exotel: the input is a media stream, one text
// frame per line, fed to one codec in order (the codec is stateful: start first).
// Checked for every frame:
// - a rejected frame leaves the codec's state (started, stream sid) unchanged, and its
//   reason is one short line (it is logged and sent in the close frame);
// - an accepted start sets the stream sid; nothing else changes it;
// - the fast path for media frames (flat_json) gives what the full parser gives: a second
//   codec with it off reads the same frames, and every answer is the same;
// - what the node sends back decodes to what it meant: media we encode from decoded audio
//   comes back as the same audio, a mark echoes its name, clear is an unknown event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "net/codec/audio_codec.hpp"
#include "fuzz/check.hpp"
#include "net/codec/telephony_codec.hpp"

namespace sb::fuzz {

// The audio in the stream's encoding as mu-law (what encode_media takes) and as what the
// echo of encode_media decodes to.
inline void check_media_echo(codec::telephony_codec& c, audio_encoding enc,
                             const audio_bytes& audio) {
  audio_bytes mulaw = enc == audio_encoding::mulaw
                        ? audio
                        : codec::pcm16le_to_mulaw(audio.data(), audio.size());
  std::string frame = c.encode_media(mulaw.data(), mulaw.size());
  check(!frame.empty(), "encode_media gave no frame");
  auto back = c.decode(frame);
  auto* ev = std::get_if<codec::inbound_event>(&back);
  check(ev != nullptr, "our own media frame does not decode");
  auto* media = std::get_if<tel_media>(ev);
  check(media != nullptr, "our own media frame is not media");
  audio_bytes expected = enc == audio_encoding::mulaw
                           ? mulaw
                           : codec::mulaw_to_pcm16le(mulaw.data(), mulaw.size());
  check(media->audio == expected, "media round trip changed the audio");
}

inline void check_same(const std::variant<codec::inbound_event, codec::decode_error>& fast,
                       const std::variant<codec::inbound_event, codec::decode_error>& full) {
  check(fast.index() == full.index(), "the fast path and the full parser disagree");
  if (auto* e = std::get_if<codec::decode_error>(&full)) {
    check(std::get<codec::decode_error>(fast).reason == e->reason,
          "the fast path gives another error");
    return;
  }
  const auto& a = std::get<codec::inbound_event>(fast);
  const auto& b = std::get<codec::inbound_event>(full);
  check(a.index() == b.index(), "the fast path gives another event");
  if (auto* m = std::get_if<tel_media>(&b)) {
    const auto& f = std::get<tel_media>(a);
    check(f.chunk == m->chunk && f.timestamp_ms == m->timestamp_ms && f.audio == m->audio,
          "the fast path reads a media frame otherwise");
  }
}

inline void run_stream(dialect d, const uint8_t* data, size_t size) {
  auto c = codec::make_telephony_codec(d);
  auto full = codec::make_telephony_codec(d);
  full->set_media_fast_path(false);
  check(c->kind() == d, "wrong dialect");
  audio_encoding enc = d == dialect::twilio ? audio_encoding::mulaw : audio_encoding::pcm16le;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    auto nl = in.find('\n');
    std::string_view frame = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);

    bool was_started = c->started();
    std::string sid = c->stream_sid();
    auto r = c->decode(frame);
    check_same(r, full->decode(frame));
    auto* ev = std::get_if<codec::inbound_event>(&r);
    if (ev == nullptr) {
      // The reason goes into the log and the close frame: short, one line.
      const auto& why = std::get<codec::decode_error>(r).reason;
      check(!why.empty(), "an error without a reason");
      check(why.size() <= 240, "an error reason too long for a log line");
      for (unsigned char ch : why)
        check(ch >= 0x20 && ch != 0x7F, "a control character in an error reason");
      check(c->started() == was_started && c->stream_sid() == sid,
            "a rejected frame changed the codec's state");
      continue;
    }
    if (auto* st = std::get_if<tel_start>(ev)) {
      check(!was_started && c->started(), "start accepted twice or not taken");
      check(!st->stream_sid.empty() && c->stream_sid() == st->stream_sid,
            "start without its stream sid");
      check(st->sample_rate == 8000, "a start of another sample rate was accepted");
      enc = st->encoding;
      continue;
    }
    check(c->started() == was_started && c->stream_sid() == sid,
          "a frame other than start changed the codec's state");
    if (auto* m = std::get_if<tel_media>(ev)) {
      check(was_started, "media before start");
      if (enc == audio_encoding::pcm16le)
        check(m->audio.size() % 2 == 0, "odd PCM16 media accepted");
      if (!m->audio.empty())
        check_media_echo(*c, enc, m->audio);
    } else if (auto* mk = std::get_if<tel_mark>(ev)) {
      auto back = c->decode(c->encode_mark(mk->name));
      auto* e = std::get_if<codec::inbound_event>(&back);
      check(e != nullptr && std::holds_alternative<tel_mark>(*e) &&
              std::get<tel_mark>(*e).name == mk->name,
            "mark round trip changed the name");
    } else if (auto* dt = std::get_if<tel_dtmf>(ev)) {
      check(!dt->digit.empty(), "empty dtmf digit accepted");
    }
  }
  if (c->started()) {
    auto back = c->decode(c->encode_clear());
    auto* e = std::get_if<codec::inbound_event>(&back);
    check(e != nullptr && std::holds_alternative<codec::tel_unknown>(*e) &&
            std::get<codec::tel_unknown>(*e).event == "clear",
          "clear does not decode as the unknown event 'clear'");
  }
}

} // namespace sb::fuzz
