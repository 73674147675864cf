// Telephony WebSocket sessions (/ws/twilio, /ws/exotel) on the I/O thread: decodes each
// text frame with the dialect codec into typed events for the session's call actor, and
// plays the call's audio back in the dialect's framing, sent ahead of its playback by at
// most [call] send_ahead (net/io/send_ahead.hpp), each mark right behind its audio.
// A connection is admitted by admission_gate and is "pending" until it sends a valid
// start: no call actor and no call slot before that, closed after call.start_timeout.
// Messages over admission.max_message_bytes close it with 1009, more frames than
// admission.max_frames_per_second with 1008, and a caller who does not read what is sent
// (more than admission.max_send_buffer_bytes waiting) with 1008 too.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <libwebsockets.h>

#include "messages/log_fields.hpp"
#include "messages/ports.hpp"
#include "net/admission/token_bucket.hpp"
#include "net/codec/telephony_codec.hpp"
#include "net/io/admission_gate.hpp"
#include "net/io/upgrade_auth.hpp"

namespace sb::net {

class io_loop;

class telephony_server {
public:
  explicit telephony_server(io_loop& loop);
  ~telephony_server();

  int confirm_upgrade(lws* wsi);
  int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  void on_tick();
  void close_all(uint16_t code, const std::string& reason);
  bool empty() const { return sessions_.empty(); }
  size_t size() const { return sessions_.size(); }
  std::shared_ptr<telephony_port> port_handle() { return port_; }

  // I/O thread side of telephony_port.
  void play(session_id s, audio_bytes mulaw);
  void mark(session_id s, std::string name);
  void clear(session_id s);
  void close(session_id s, uint16_t code, std::string reason);
  void route_audio(session_id s, stream_id stt);
  void open_route(session_id s);
  void unroute_audio(session_id s);

private:
  struct out_item {
    audio_bytes audio;  // mu-law; empty for a mark
    size_t offset = 0;
    std::string mark;
  };
  // Where the caller's audio goes: to the call actor until it routes it to its STT stream.
  enum class route_state : uint8_t { to_actor, holding, direct };
  static constexpr size_t max_held_frames = 500;  // 10 s of Twilio frames

  enum class phase : uint8_t { pending, call, refused };

  struct session {
    session_id sid = 0;
    lws* wsi = nullptr;
    phase state = phase::pending;
    admission::caller_key caller;
    dialect kind = dialect::twilio;
    admission::token_bucket frames;  // inbound frame rate
    caf::actor call;
    std::unique_ptr<codec::telephony_codec> codec;
    std::string rx;
    bool rx_overflow = false;
    std::deque<std::string> ready;  // encoded frames waiting for WRITEABLE
    size_t ready_bytes = 0;         // their size: at most admission.max_send_buffer_bytes
    std::deque<out_item> pending;   // audio and marks not yet due
    std::chrono::steady_clock::time_point next_due{};  // when what was sent ends playing
    bool closing = false;
    // The close frame is handed to lws (once: lws then sends it and waits for the
    // caller's reply, reading and dropping what the caller still sends meanwhile).
    bool close_started = false;
    uint16_t close_code = 1000;
    std::string close_reason;
    bool told_call = false;
    route_state route = route_state::to_actor;
    stream_id stt = 0;
    std::deque<audio_bytes> held;  // audio arriving while the route is handed over
    field_logger log;              // its call's fields, from start on
  };

  session* find(session_id s);
  void established(lws* wsi, void* user);
  // `remaining`: bytes of this WebSocket frame still to come (lws_remaining_packet_payload).
  void receive(session& s, const char* data, size_t len, bool binary, bool final,
               size_t remaining);
  void begin_call(session& s, tel_start start);
  void expire_pending(std::chrono::steady_clock::time_point now);
  int writeable(session& s);
  bool write_front(session& s);  // sends s.ready's first frame; false on error
  void flush(session& s);        // sends what is ready now, or asks for WRITEABLE
  void enqueue(session& s, std::string frame);
  void drop_ready(session& s);
  // A caller who does not read what the node sends: closed before its queue outgrows
  // admission.max_send_buffer_bytes.
  void close_slow_reader(session& s);
  void closed(lws* wsi, void* user);
  void protocol_error(session& s, uint16_t code, const std::string& reason);
  // Moves due audio (in messages of the send plan) and the marks behind it to ready.
  void pump(session& s, std::chrono::steady_clock::time_point now);
  void want_write(session& s);
  void route_media(session& s, audio_bytes audio);

  io_loop& loop_;
  upgrade_auth auth_;
  admission_gate gate_;
  // An upgrade admitted in HTTP_CONFIRM_UPGRADE, until its ESTABLISHED (lws calls both in
  // one go; a handshake that fails in between leaves it here, and it is given back).
  struct confirmed {
    lws* wsi = nullptr;
    admission::caller_key caller;
  };
  std::optional<confirmed> confirmed_;
  void drop_confirmed();
  std::deque<std::pair<std::chrono::steady_clock::time_point, session_id>> start_deadlines_;
  session_id next_sid_ = 1;
  std::unordered_map<session_id, std::unique_ptr<session>> sessions_;
  std::unordered_set<session_id> playing_;
  std::shared_ptr<telephony_port> port_;
  std::string write_buf_;  // LWS_PRE + frame, reused for every write (I/O thread only)
};

} // namespace sb::net
