// Internal to net/codec: the decode() flow both JSON dialects share. A dialect supplies
// its field names and reads the parts that differ (start, media, stop).
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "net/codec/flat_json.hpp"
#include "net/codec/telephony_codec.hpp"

namespace sb::codec {

class json_telephony_codec : public telephony_codec {
public:
  std::variant<inbound_event, decode_error> decode(std::string_view text) final;
  std::string encode_mark(std::string_view name) final;
  std::string encode_clear() final;
  void set_media_fast_path(bool on) final { fast_media_ = on; }

protected:
  // Top-level stream sid key ("streamSid" / "stream_sid").
  virtual std::string_view sid_key() const = 0;
  // Reads the `start` object. Leaves out.stream_sid empty when `start` has no sid of its own.
  virtual std::optional<decode_error> read_start(const nlohmann::json& start,
                                                 tel_start& out) = 0;
  // Reads the `media` object (stream already checked).
  virtual std::optional<decode_error> read_media(const nlohmann::json& media,
                                                 tel_media& out) = 0;
  // The fast path's read of the `media` object (members of `doc` whose parent is
  // `media`): true with `out` filled, or false for anything read_media would refuse or
  // read otherwise (then the full parser decides). Exactly read_media's result when true.
  virtual bool read_media_flat(const flat_json& doc, int media, tel_media& out) = 0;
  // Reads the optional `stop` object (nullptr when absent).
  virtual std::optional<decode_error> read_stop(const nlohmann::json* stop,
                                                tel_stop& out) = 0;
  // Called once a start was accepted, before decode() returns it.
  virtual void on_started(const tel_start&) {}

  // {"event":E,SID_KEY:SID[,BODY:{KEY:VALUE}]} with the documented member order; "" if
  // the text cannot be encoded.
  std::string encode(const char* event, const char* body, std::string_view key,
                     std::string_view value) const;

  // Helpers for dialects.
  // media.payload as read_payload reads it, on the fast path: false when absent, not a
  // string or not base64.
  static bool payload_flat(const flat_json& doc, int media, audio_bytes& out);
  // Optional text as read_text reads it, on the fast path: false for a number (whose
  // JSON text the full parser writes).
  static bool text_flat(const flat_json& doc, int media, std::string_view key,
                        std::string_view& out);
  // Reads chunk/timestamp style counters: absent -> 0, number or decimal string -> value.
  static std::optional<decode_error> read_counter(const nlohmann::json& obj,
                                                  std::string_view key,
                                                  std::string_view path, uint64_t& out);
  // Optional text: absent or null -> "", string -> itself, number/bool -> its JSON text.
  static std::optional<decode_error> read_text(const nlohmann::json& obj,
                                               std::string_view key,
                                               std::string_view path, std::string& out);
  // A JSON object of parameters -> string map (non-string values as their JSON text).
  static std::optional<decode_error> read_params(const nlohmann::json& obj,
                                                 std::string_view key,
                                                 std::string_view path,
                                                 std::map<std::string, std::string>& out);
  // Base64 payload `media.payload` -> bytes.
  static std::optional<decode_error> read_payload(const nlohmann::json& media,
                                                  audio_bytes& out);

private:
  // A started stream's media frame by flat_json, or nullopt: the full parser's turn.
  std::optional<tel_media> decode_media_flat(std::string_view text);
  bool fast_media_ = true;
};

} // namespace sb::codec
