// Typed telephony events: what a Twilio or Exotel media stream says, with the JSON gone.
// net/codec turns frames into these; the call actor only ever sees these.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <caf/meta/type_name.hpp>

#include "messages/audio.hpp"

namespace sb {

enum class dialect : uint8_t { twilio = 0, exotel = 1 };

inline const char* to_string(dialect d) { return d == dialect::twilio ? "twilio" : "exotel"; }

struct tel_connected {};

struct tel_start {
  std::string stream_sid;
  std::string call_sid;
  std::string account_sid;
  std::string from;  // Exotel only
  std::string to;    // Exotel only
  std::map<std::string, std::string> params;  // customParameters / custom_parameters
  audio_encoding encoding = audio_encoding::mulaw;
  uint32_t sample_rate = 8000;
};

struct tel_media {
  uint64_t chunk = 0;          // 0 when the dialect did not say
  uint64_t timestamp_ms = 0;   // ms since stream start, 0 when absent
  audio_bytes audio;           // raw bytes in the stream's encoding
};

struct tel_mark {
  std::string name;
};

struct tel_dtmf {
  std::string digit;
};

struct tel_stop {
  std::string reason;  // Exotel's stop.reason; "" for Twilio
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tel_connected&) {
  return f(caf::meta::type_name("tel_connected"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tel_start& x) {
  return f(caf::meta::type_name("tel_start"), x.stream_sid, x.call_sid, x.account_sid,
           x.from, x.to, x.params, x.encoding, x.sample_rate);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tel_media& x) {
  return f(caf::meta::type_name("tel_media"), x.chunk, x.timestamp_ms, x.audio);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tel_mark& x) {
  return f(caf::meta::type_name("tel_mark"), x.name);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tel_dtmf& x) {
  return f(caf::meta::type_name("tel_dtmf"), x.digit);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tel_stop& x) {
  return f(caf::meta::type_name("tel_stop"), x.reason);
}

// The connection to the caller is gone (socket closed, or the edge closed it because
// the caller sent something it could not accept). Sent by the I/O thread.
struct tel_closed {
  uint16_t code = 1000;
  std::string reason;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tel_closed& x) {
  return f(caf::meta::type_name("tel_closed"), x.code, x.reason);
}

} // namespace sb
