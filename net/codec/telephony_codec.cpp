#include "net/codec/telephony_codec.hpp"

#include "net/codec/error_detail.hpp"

namespace sb::codec {

std::optional<decode_error> telephony_codec::check_stream(std::string_view event,
                                                          const std::string* sid,
                                                          std::string_view sid_path) const {
  if (!started_)
    return decode_error{std::string{event} + " before start"};
  if (sid == nullptr)
    return decode_error{"missing field '" + std::string{sid_path} + "'"};
  if (*sid != stream_sid_)
    return decode_error{"stream sid " + quote_text(*sid) + " does not match " +
                        quote_text(stream_sid_)};
  return std::nullopt;
}

std::unique_ptr<telephony_codec> make_telephony_codec(dialect d) {
  return d == dialect::exotel ? make_exotel_codec() : make_twilio_codec();
}

} // namespace sb::codec
