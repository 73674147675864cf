#include "net/codec/json_telephony_codec.hpp"

#include "net/codec/audio_codec.hpp"
#include "net/codec/error_detail.hpp"
#include "net/codec/json_fields.hpp"

namespace sb::codec {

using nlohmann::json;

namespace {

// The object member `key`, or the error: missing, or not an object.
std::variant<const json*, decode_error> object_member(const json& j, std::string_view key) {
  const json* v = member(j, key);
  if (v == nullptr)
    return missing_field(key);
  if (!v->is_object())
    return wrong_type(key, "an object");
  return v;
}

std::string scalar_text(const json& v) {
  if (v.is_null())
    return {};
  if (v.is_string())
    return v.get<std::string>();
  return dump_json(v);
}

} // namespace

std::optional<decode_error>
json_telephony_codec::read_counter(const json& obj, std::string_view key,
                                   std::string_view path, uint64_t& out) {
  const json* v = member(obj, key);
  if (v == nullptr || v->is_null()) {
    out = 0;
    return std::nullopt;
  }
  auto n = as_u64(*v);
  if (!n)
    return wrong_type(path, "a non-negative integer");
  out = *n;
  return std::nullopt;
}

std::optional<decode_error> json_telephony_codec::read_text(const json& obj,
                                                            std::string_view key,
                                                            std::string_view path,
                                                            std::string& out) {
  const json* v = member(obj, key);
  if (v == nullptr || v->is_null()) {
    out.clear();
    return std::nullopt;
  }
  if (v->is_object() || v->is_array())
    return wrong_type(path, "a string");
  out = scalar_text(*v);
  return std::nullopt;
}

std::optional<decode_error>
json_telephony_codec::read_params(const json& obj, std::string_view key,
                                  std::string_view path,
                                  std::map<std::string, std::string>& out) {
  const json* v = member(obj, key);
  if (v == nullptr || v->is_null())
    return std::nullopt;
  if (!v->is_object())
    return wrong_type(path, "an object");
  for (auto it = v->begin(); it != v->end(); ++it)
    out[it.key()] = scalar_text(it.value());
  return std::nullopt;
}

std::optional<decode_error> json_telephony_codec::read_payload(const json& media,
                                                               audio_bytes& out) {
  auto payload = required_string(media, "payload", "media.payload");
  if (payload.error)
    return payload.error;
  auto bytes = base64_decode(payload.value);
  if (!bytes)
    return decode_error{"media payload is not valid base64"};
  out = std::move(*bytes);
  return std::nullopt;
}

bool json_telephony_codec::payload_flat(const flat_json& doc, int media, audio_bytes& out) {
  const auto* p = doc.find(media, "payload");
  if (p == nullptr || p->type != flat_json::kind::string)
    return false;
  auto bytes = base64_decode(p->value);
  if (!bytes)
    return false;
  out = std::move(*bytes);
  return true;
}

bool json_telephony_codec::text_flat(const flat_json& doc, int media, std::string_view key,
                                     std::string_view& out) {
  const auto* m = doc.find(media, key);
  if (m == nullptr) {
    out = {};
    return true;
  }
  if (m->type != flat_json::kind::string)
    return false;
  out = m->value;
  return true;
}

std::optional<tel_media> json_telephony_codec::decode_media_flat(std::string_view text) {
  flat_json doc;
  if (!doc.scan(text))
    return std::nullopt;
  const auto* ev = doc.find(-1, "event");
  if (ev == nullptr || ev->type != flat_json::kind::string || ev->value != "media")
    return std::nullopt;
  // The stream's own sid, or the full parser says what is wrong with it.
  const auto* sid = doc.find(-1, sid_key());
  if (sid == nullptr || sid->type != flat_json::kind::string || sid->value != stream_sid_)
    return std::nullopt;
  const auto* media = doc.find(-1, "media");
  if (media == nullptr || media->type != flat_json::kind::object)
    return std::nullopt;
  tel_media out;
  if (!read_media_flat(doc, doc.index_of(media), out))
    return std::nullopt;
  return out;
}

std::variant<inbound_event, decode_error>
json_telephony_codec::decode(std::string_view text) {
  if (fast_media_ && started_) {
    if (auto m = decode_media_flat(text))
      return inbound_event{std::move(*m)};
  }
  try {
    json j;
    if (auto err = parse_json(text, j))
      return *err;
    if (!j.is_object())
      return decode_error{"frame is not a JSON object"};
    auto event = required_string(j, "event", "event");
    if (event.error)
      return *event.error;
    const std::string& ev = event.value;

    const std::string* sid = nullptr;
    if (const json* v = member(j, sid_key())) {
      if (!v->is_string())
        return wrong_type(sid_key(), "a string");
      sid = &v->get_ref<const std::string&>();
    }

    if (ev == "connected")
      return inbound_event{tel_connected{}};

    if (ev == "start") {
      if (started_)
        return decode_error{"second start"};
      auto st = object_member(j, "start");
      if (auto* err = std::get_if<decode_error>(&st))
        return *err;
      tel_start out;
      if (auto err = read_start(*std::get<const json*>(st), out))
        return *err;
      if (out.stream_sid.empty()) {
        if (sid == nullptr || sid->empty())
          return missing_field("start." + std::string{sid_key()});
        out.stream_sid = *sid;
      } else if (sid != nullptr && *sid != out.stream_sid) {
        return decode_error{"stream sid " + quote_text(*sid) + " does not match start." +
                            std::string{sid_key()} + " " + quote_text(out.stream_sid)};
      }
      if (out.sample_rate != 8000)
        return decode_error{"unsupported sample rate " + std::to_string(out.sample_rate) +
                            " (only 8000 Hz streams are supported)"};
      stream_sid_ = out.stream_sid;
      started_ = true;
      on_started(out);
      return inbound_event{std::move(out)};
    }

    if (ev == "stop") {
      if (started_) {
        if (auto err = check_stream(ev, sid, sid_key()))
          return *err;
      }
      const json* st = member(j, "stop");
      if (st != nullptr && !st->is_object() && !st->is_null())
        return wrong_type("stop", "an object");
      tel_stop out;
      if (auto err = read_stop(st != nullptr && st->is_object() ? st : nullptr, out))
        return *err;
      return inbound_event{std::move(out)};
    }

    if (ev != "media" && ev != "mark" && ev != "dtmf")
      return inbound_event{tel_unknown{ev}};

    if (auto err = check_stream(ev, sid, sid_key()))
      return *err;
    auto body = object_member(j, ev);
    if (auto* err = std::get_if<decode_error>(&body))
      return *err;
    const json& obj = *std::get<const json*>(body);

    if (ev == "media") {
      tel_media out;
      if (auto err = read_media(obj, out))
        return *err;
      return inbound_event{std::move(out)};
    }
    if (ev == "mark") {
      auto name = required_string(obj, "name", "mark.name");
      if (name.error)
        return *name.error;
      return inbound_event{tel_mark{std::move(name.value)}};
    }
    // dtmf: the digit is a string ("5"), tolerated as a number (5).
    const json* digit = member(obj, "digit");
    if (digit == nullptr)
      return missing_field("dtmf.digit");
    if (!digit->is_string() && !digit->is_number_integer())
      return wrong_type("dtmf.digit", "a string");
    std::string d = scalar_text(*digit);
    if (d.empty())
      return decode_error{"empty dtmf.digit"};
    return inbound_event{tel_dtmf{std::move(d)}};
  } catch (const std::exception& e) {
    return decode_error{std::string{"internal error: "} + e.what()};
  }
}

std::string json_telephony_codec::encode(const char* event, const char* body,
                                         std::string_view key,
                                         std::string_view value) const {
  try {
    nlohmann::ordered_json j;
    j["event"] = event;
    j[std::string{sid_key()}] = stream_sid_;
    if (body != nullptr)
      j[body][std::string{key}] = std::string{value};
    return dump_json(j);
  } catch (const std::exception&) {
    return {};
  }
}

std::string json_telephony_codec::encode_mark(std::string_view name) {
  return encode("mark", "mark", "name", name);
}

std::string json_telephony_codec::encode_clear() { return encode("clear", nullptr, {}, {}); }

} // namespace sb::codec
