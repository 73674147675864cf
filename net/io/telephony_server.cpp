#include "net/io/telephony_server.hpp"

#include <cstring>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "messages/atoms.hpp"
#include "net/codec/error_detail.hpp"
#include "net/io/http_routes.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/provider_hub.hpp"
#include "net/io/send_ahead.hpp"
#include "net/io/telephony_path.hpp"

namespace sb::net {

namespace {

using clock = std::chrono::steady_clock;

class port_impl : public telephony_port {
public:
  port_impl(io_loop& loop, telephony_server& srv) : loop_(loop), srv_(srv) {}
  void play(session_id s, audio_bytes mulaw) override {
    loop_.post([this, s, a = std::move(mulaw)]() mutable { srv_.play(s, std::move(a)); });
  }
  void mark(session_id s, std::string name) override {
    loop_.post([this, s, n = std::move(name)]() mutable { srv_.mark(s, std::move(n)); });
  }
  void clear(session_id s) override {
    loop_.post([this, s] { srv_.clear(s); });
  }
  void close(session_id s, uint16_t code, std::string reason) override {
    loop_.post([this, s, code, r = std::move(reason)]() mutable {
      srv_.close(s, code, std::move(r));
    });
  }
  void route_audio(session_id s, stream_id stt) override {
    loop_.post([this, s, stt] { srv_.route_audio(s, stt); });
  }
  void open_route(session_id s) override {
    loop_.post([this, s] { srv_.open_route(s); });
  }
  void unroute_audio(session_id s) override {
    loop_.post([this, s] { srv_.unroute_audio(s); });
  }

private:
  io_loop& loop_;
  telephony_server& srv_;
};

} // namespace

telephony_server::telephony_server(io_loop& loop)
  : loop_(loop),
    auth_(loop.options().auth, loop.probe()),
    gate_(loop.options().admission, loop.options().max_calls, loop.options().start_timeout,
          loop.probe()) {
  port_ = std::make_shared<port_impl>(loop, *this);
}

telephony_server::~telephony_server() = default;

int telephony_server::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                               size_t len) {
  auto* s = user ? *static_cast<session**>(user) : nullptr;
  switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return confirm_upgrade(wsi);
    case LWS_CALLBACK_ESTABLISHED:
      established(wsi, user);
      return 0;
    case LWS_CALLBACK_RECEIVE:
      if (s) {
        auto remaining = lws_remaining_packet_payload(wsi);
        receive(*s, static_cast<const char*>(in), len, lws_frame_is_binary(wsi),
                lws_is_final_fragment(wsi) && remaining == 0, remaining);
      }
      return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return s ? writeable(*s) : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (s && len >= 2) {
        auto* p = static_cast<const unsigned char*>(in);
        s->close_code = static_cast<uint16_t>((p[0] << 8) | p[1]);
        s->close_reason = "caller closed";
      }
      return 0;
    case LWS_CALLBACK_CLOSED:
      closed(wsi, user);
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

void telephony_server::receive(session& s, const char* data, size_t len, bool binary,
                               bool final, size_t remaining) {
  if (s.closing)
    return;
  if (binary) {
    protocol_error(s, 1003, "binary frames are not part of the protocol: send JSON text");
    return;
  }
  const size_t max_bytes = loop_.options().admission.max_message_bytes;
  // The frame header says how much is coming: refuse before it has arrived.
  if (s.rx.size() + len + remaining > max_bytes) {
    ++loop_.probe().closed_message_size;
    protocol_error(s, 1009, "message too big (limit " + std::to_string(max_bytes) + " bytes)");
    return;
  }
  if (remaining == 0 && !s.frames.take(clock::now())) {
    ++loop_.probe().closed_frame_rate;
    protocol_error(s, 1008, "too many frames (limit " +
                              std::to_string(loop_.options().admission.max_frames_per_second) +
                              " per second)");
    return;
  }
  if (!final) {
    s.rx.append(data, len);
    return;
  }
  ++loop_.probe().frames_in;
  // The usual frame arrives whole: decode it where lws put it, without a copy.
  if (!s.rx.empty())
    s.rx.append(data, len);
  auto result = s.codec->decode(s.rx.empty() ? std::string_view{data, len} : s.rx);
  s.rx.clear();
  if (auto* err = std::get_if<codec::decode_error>(&result)) {
    protocol_error(s, 1007, err->reason);
    return;
  }
  std::visit(
    [&](auto& ev) {
      using T = std::decay_t<decltype(ev)>;
      if constexpr (std::is_same_v<T, codec::tel_unknown>) {
        // Twilio and Exotel add event types: skipped and counted, never a close.
        if (loop_.probe().unknown_events++ % 1000 == 0)
          s.log.info("session {}: skipping event of unknown type '{}' (counted in "
                     "switchboard_telephony_unknown_events_total)",
                     s.sid, codec::clean_text(ev.event, 64));
      } else {
        if (s.state != phase::call) {
          // Before start the codec lets through only connected and start.
          if constexpr (std::is_same_v<T, tel_start>)
            if (s.state == phase::pending)
              begin_call(s, std::move(ev));
          return;
        }
        if constexpr (std::is_same_v<T, tel_media>) {
          if (ev.audio.empty())
            return;  // not the caller's track
          if (s.route != route_state::to_actor) {
            route_media(s, std::move(ev.audio));
            return;
          }
        }
        caf::anon_send(s.call, std::move(ev));
      }
    },
    std::get<codec::inbound_event>(result));
}

void telephony_server::protocol_error(session& s, uint16_t code, const std::string& reason) {
  ++loop_.probe().protocol_errors;
  s.log.warn("session {}: closing on caller protocol error {}: {}", s.sid, code, reason);
  close(s.sid, code, reason);
}

void telephony_server::enqueue(session& s, std::string frame) {
  s.ready_bytes += frame.size();
  s.ready.push_back(std::move(frame));
}

void telephony_server::drop_ready(session& s) {
  s.ready.clear();
  s.ready_bytes = 0;
}

bool telephony_server::write_front(session& s) {
  auto frame = std::move(s.ready.front());
  s.ready.pop_front();
  s.ready_bytes -= frame.size();
  write_buf_.resize(LWS_PRE + frame.size());
  std::memcpy(write_buf_.data() + LWS_PRE, frame.data(), frame.size());
  auto* p = reinterpret_cast<unsigned char*>(write_buf_.data() + LWS_PRE);
  if (lws_write(s.wsi, p, frame.size(), LWS_WRITE_TEXT) < static_cast<int>(frame.size()))
    return false;
  ++loop_.probe().frames_out;
  return true;
}

void telephony_server::flush(session& s) {
  // Due frames go out now while the socket takes them whole (one syscall each, no poll
  // round); lws keeps and flushes any part it does not take, and the rest waits for
  // WRITEABLE.
  while (!s.ready.empty() && !s.closing && !lws_partial_buffered(s.wsi))
    if (!write_front(s)) {
      lws_set_timeout(s.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
      return;
    }
  auto& peak = loop_.probe().send_buffer_peak;
  if (s.ready_bytes > peak.load(std::memory_order_relaxed))
    peak.store(s.ready_bytes, std::memory_order_relaxed);
  if (!s.closing && s.ready_bytes > loop_.options().admission.max_send_buffer_bytes) {
    close_slow_reader(s);
    return;
  }
  if (!s.ready.empty() || s.closing)
    want_write(s);
}

void telephony_server::close_slow_reader(session& s) {
  // Frames are due at the pace of speech and the socket has not taken them: the caller
  // is not reading (or its network cannot carry a call). What waits is dropped, so its
  // memory is given back now, and the close frame goes next.
  const auto queued = s.ready_bytes;
  drop_ready(s);
  ++loop_.probe().closed_slow_reader;
  ++loop_.probe().protocol_errors;
  const auto limit = loop_.options().admission.max_send_buffer_bytes;
  s.log.warn("session {}: closing a caller who is not reading: {} bytes waiting to be sent "
             "(limit {}, admission.max_send_buffer_bytes)",
             s.sid, queued, limit);
  close(s.sid, 1008,
        "not reading: " + std::to_string(queued) + " bytes queued (limit " +
          std::to_string(limit) + ")");
  // A reader this slow may never take the close frame either: drop the connection if it
  // has not gone out in a few seconds.
  lws_set_timeout(s.wsi, PENDING_TIMEOUT_CLOSE_SEND, 3);
}

int telephony_server::writeable(session& s) {
  if (!s.ready.empty()) {
    if (!write_front(s))
      return -1;
    if (!s.ready.empty() || s.closing)
      lws_callback_on_writable(s.wsi);
    return 0;
  }
  if (s.closing && !s.close_started) {
    // Close reasons are limited to 123 bytes by RFC 6455, and must stay valid UTF-8:
    // cut on a character boundary (120 bytes and "...").
    auto r = codec::clean_text(s.close_reason, 120);
    lws_close_reason(s.wsi, static_cast<lws_close_status>(s.close_code),
                     reinterpret_cast<unsigned char*>(r.data()), r.size());
    // lws sends the close frame and then waits for the caller's close (its timeout:
    // 5 s), reading what comes before it, and only then closes the socket. It may call
    // WRITEABLE again while it waits (POLLOUT stays on after the close frame): a second
    // -1 there would close the socket at once, with the caller's media unread in its
    // receive buffer, and the kernel would answer with a reset: a caller still sending
    // then fails its write before it has read the close frame (it sees no close code).
    s.close_started = true;
    return -1;
  }
  return 0;
}

void telephony_server::closed(lws* wsi, void* user) {
  (void) wsi;
  auto* s = user ? *static_cast<session**>(user) : nullptr;
  if (!s)
    return;
  *static_cast<session**>(user) = nullptr;
  if (s->state == phase::pending)
    gate_.abandon(s->caller);
  if (s->state == phase::call) {
    if (s->call && !s->told_call)
      caf::anon_send(s->call, tel_closed{s->close_code, s->close_reason});
    --loop_.active_sessions_;
  }
  playing_.erase(s->sid);
  sessions_.erase(s->sid);
}

void telephony_server::route_audio(session_id sid, stream_id stt) {
  auto* s = find(sid);
  if (!s || s->closing || s->route != route_state::to_actor)
    return;
  s->route = route_state::holding;
  s->stt = stt;
  caf::anon_send(s->call, audio_routed_atom_v);
}

void telephony_server::open_route(session_id sid) {
  auto* s = find(sid);
  if (!s || s->route != route_state::holding)
    return;
  s->route = route_state::direct;
  for (auto& a : s->held)
    loop_.providers().stt_audio(s->stt, std::move(a));
  s->held.clear();
}

void telephony_server::unroute_audio(session_id sid) {
  auto* s = find(sid);
  if (!s || s->route == route_state::to_actor)
    return;
  s->route = route_state::to_actor;
  s->stt = 0;
  for (auto& a : s->held)  // held for a route that will not open: back to the call
    caf::anon_send(s->call, tel_media{0, 0, std::move(a)});
  s->held.clear();
}

void telephony_server::route_media(session& s, audio_bytes audio) {
  if (s.route == route_state::direct) {
    loop_.providers().stt_audio(s.stt, std::move(audio));
    return;
  }
  // Holding for the one actor round trip of the hand-over; bounded all the same.
  if (s.held.size() >= max_held_frames) {
    loop_.probe().stt_audio_dropped += s.held.front().size();
    s.held.pop_front();
  }
  s.held.push_back(std::move(audio));
}

telephony_server::session* telephony_server::find(session_id sid) {
  auto i = sessions_.find(sid);
  return i == sessions_.end() ? nullptr : i->second.get();
}

void telephony_server::want_write(session& s) { lws_callback_on_writable(s.wsi); }

void telephony_server::pump(session& s, clock::time_point now) {
  const auto frame_bytes = s.codec->out_frame_mulaw_bytes();
  const auto period = std::chrono::milliseconds{s.codec->out_frame_ms()};
  const auto plan = send_plan::of(loop_.options().send_ahead, period);
  const size_t chunk_bytes = plan.chunk_frames * frame_bytes;
  // s.next_due: when what has been sent ends playing. Behind now by more than a frame,
  // the caller has played everything (a pause between sentences): start again from now.
  if (s.next_due + period < now)
    s.next_due = now;
  bool wrote = false;
  audio_bytes chunk;
  while (!s.pending.empty()) {
    if (s.pending.front().audio.empty()) {  // a mark: goes right behind the audio before it
      enqueue(s, s.codec->encode_mark(s.pending.front().mark));
      s.pending.pop_front();
      wrote = true;
      continue;
    }
    if (s.next_due > now + plan.refill)
      break;  // the caller still holds enough
    chunk.clear();
    chunk.reserve(chunk_bytes);
    while (chunk.size() < chunk_bytes && !s.pending.empty() &&
           !s.pending.front().audio.empty()) {
      auto& head = s.pending.front();
      auto take = std::min(chunk_bytes - chunk.size(), head.audio.size() - head.offset);
      chunk.insert(chunk.end(), head.audio.begin() + head.offset,
                   head.audio.begin() + head.offset + take);
      head.offset += take;
      if (head.offset == head.audio.size())
        s.pending.pop_front();
    }
    if (s.codec->kind() == dialect::exotel)  // whole chunks only: pad with silence
      chunk.resize((chunk.size() + frame_bytes - 1) / frame_bytes * frame_bytes, 0xFF);
    enqueue(s, s.codec->encode_media(chunk.data(), chunk.size()));
    s.next_due += std::chrono::duration_cast<clock::duration>(
      std::chrono::microseconds{period} * static_cast<int64_t>(chunk.size()) /
      static_cast<int64_t>(frame_bytes));
    wrote = true;
  }
  if (wrote)
    flush(s);
}

void telephony_server::on_tick() {
  auto now = clock::now();
  drop_confirmed();  // a handshake that failed after its upgrade was admitted
  gate_.on_tick(now);
  expire_pending(now);
  if (playing_.empty())
    return;
  for (auto it = playing_.begin(); it != playing_.end();) {
    auto* s = find(*it);
    if (s)
      pump(*s, now);
    if (!s || s->pending.empty())
      it = playing_.erase(it);
    else
      ++it;
  }
}

void telephony_server::play(session_id sid, audio_bytes mulaw) {
  auto* s = find(sid);
  if (!s || s->closing || mulaw.empty())
    return;
  auto now = clock::now();
  playing_.insert(sid);  // pump() starts from now if what was sent before has played
  s->pending.push_back(out_item{std::move(mulaw), 0, {}});
  pump(*s, now);
}

void telephony_server::mark(session_id sid, std::string name) {
  auto* s = find(sid);
  if (!s || s->closing)
    return;
  s->pending.push_back(out_item{{}, 0, std::move(name)});
  if (playing_.count(sid) == 0)
    pump(*s, clock::now());
}

void telephony_server::clear(session_id sid) {
  auto* s = find(sid);
  if (!s || s->closing)
    return;
  s->pending.clear();
  drop_ready(*s);
  playing_.erase(sid);
  s->next_due = clock::now();  // the caller empties its buffer: nothing sent is left to play
  enqueue(*s, s->codec->encode_clear());
  want_write(*s);
}

void telephony_server::close(session_id sid, uint16_t code, std::string reason) {
  auto* s = find(sid);
  if (!s || s->closing)
    return;
  if (s->state == phase::pending) {
    // Its place among the connections without start is free now, not only once the
    // caller has acknowledged the close (which a flooder may never do).
    gate_.abandon(s->caller);
    s->state = phase::refused;
  }
  // Nothing more is played. Its place in playing_ goes at the next tick (pending is
  // empty now): close() can be called from inside the tick's walk of playing_ (a slow
  // reader found while pumping), where erasing would break that walk.
  s->pending.clear();
  s->closing = true;
  s->close_code = code;
  s->close_reason = std::move(reason);
  want_write(*s);
}

void telephony_server::close_all(uint16_t code, const std::string& reason) {
  for (auto& [sid, s] : sessions_)
    close(sid, code, reason);
}

} // namespace sb::net
