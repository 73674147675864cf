// The telephony server's admission side: the upgrade, the pending connection, its start
// (the call actor is spawned here) and its start timeout. See telephony_server.hpp.
#include "net/io/telephony_server.hpp"

#include <sys/socket.h>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "net/io/http_routes.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/telephony_path.hpp"

namespace sb::net {

namespace {
using clock = std::chrono::steady_clock;

// The kernel's send buffer of a caller's socket, fixed: left to auto-tuning, Linux lets
// it grow to net.ipv4.tcp_wmem's maximum (4 MiB by default) for a caller who does not
// read, memory no limit of ours would see. A call carries about 16 KiB a second, so this
// covers a round trip of seconds. (The kernel doubles the value for its bookkeeping.)
constexpr int caller_socket_send_buffer = 64 * 1024;
// Inbound frames: up to this many seconds' worth of the limit at once.
constexpr double frame_burst_seconds = 10;
} // namespace

int telephony_server::confirm_upgrade(lws* wsi) {
  dialect kind;
  std::string route;
  auto uri = request_uri(wsi);
  if (!parse_path(uri, kind, route)) {
    ++loop_.probe().upgrades_refused;
    spdlog::info("refused upgrade {}: 404", uri);
    return reject_with_json(wsi, 404, "not_found",
                            "WebSocket paths are /ws/twilio and /ws/exotel");
  }
  drop_confirmed();
  // Credentials first: an unauthenticated flood spends no one's call budget.
  if (int r = auth_.confirm(wsi, kind, uri); r != 0)
    return r;
  auto caller = gate_.caller(wsi, route);
  int r = gate_.upgrade(wsi, caller, loop_.active_sessions(), loop_.draining());
  if (r == 0)
    confirmed_ = confirmed{wsi, std::move(caller)};
  return r;
}

void telephony_server::drop_confirmed() {
  if (confirmed_)
    gate_.abandon(confirmed_->caller);
  confirmed_.reset();
}

void telephony_server::established(lws* wsi, void* user) {
  auto s = std::make_unique<session>();
  s->sid = next_sid_++;
  s->wsi = wsi;
  std::string route;
  std::string refused;  // why admission refused it here
  uint16_t refused_code = 4503;
  parse_path(request_uri(wsi), s->kind, route);
  if (confirmed_ && confirmed_->wsi == wsi) {
    s->caller = std::move(confirmed_->caller);
    confirmed_.reset();
  } else {
    // Not seen in HTTP_CONFIRM_UPGRADE just before (lws did not call it): admit it now.
    drop_confirmed();
    s->caller = gate_.caller(wsi, route);
    auto a = auth_.check(wsi, s->kind, request_uri(wsi));
    auto v = a.ok ? gate_.admit(s->caller, loop_.active_sessions(), loop_.draining())
                  : admission::verdict{};
    if (!a.ok) {
      s->state = phase::refused;
      refused = a.reason;
      refused_code = static_cast<uint16_t>(4000 + a.status);  // 4401, 4403
    } else if (!v.admitted) {
      s->state = phase::refused;
      refused = v.reason;
    }
  }
  s->codec = codec::make_telephony_codec(s->kind);
  if (auto fd = lws_get_socket_fd(wsi); fd >= 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &caller_socket_send_buffer,
               sizeof caller_socket_send_buffer);
  const auto fps = loop_.options().admission.max_frames_per_second;
  auto now = clock::now();
  // A burst of ten seconds at the limit: a caller whose network stalled (or this node,
  // starved of CPU, reading late) delivers its backlog of real-time audio at once, which
  // is not a flood; a flood is a sustained rate above the limit.
  s->frames = admission::token_bucket(fps * frame_burst_seconds, fps, now);
  *static_cast<session**>(user) = s.get();
  auto& ref = *s;
  sessions_.emplace(s->sid, std::move(s));
  ++loop_.probe().sessions_accepted;
  if (ref.state == phase::refused) {
    close(ref.sid, refused_code, refused);
    return;
  }
  start_deadlines_.emplace_back(now + loop_.options().start_timeout, ref.sid);
}

void telephony_server::begin_call(session& s, tel_start start) {
  s.log.fields = {start.call_sid, start.stream_sid};
  auto v = gate_.start(s.caller, loop_.active_sessions(), loop_.draining());
  if (!v.admitted) {
    s.state = phase::refused;
    close(s.sid, 4503, v.reason);  // like HTTP 503: try again later
    return;
  }
  s.state = phase::call;
  ++loop_.active_sessions_;
  call_spawn_info info;
  info.session = s.sid;
  info.kind = s.kind;
  info.route = s.caller.agent;
  info.remote_ip = s.caller.ip;
  s.call = loop_.options().spawn_call(info);
  if (!s.call) {
    close(s.sid, 1011, "no call actor");
    return;
  }
  // Sent before any media the caller sends next: the actor sees them in order.
  caf::anon_send(s.call, std::move(start));
}

void telephony_server::expire_pending(clock::time_point now) {
  while (!start_deadlines_.empty() && start_deadlines_.front().first <= now) {
    auto sid = start_deadlines_.front().second;
    start_deadlines_.pop_front();
    auto* s = find(sid);
    if (!s || s->state != phase::pending || s->closing)
      continue;
    ++loop_.probe().closed_no_start;
    close(sid, 1008,
          "no start event within " +
            std::to_string(loop_.options().start_timeout.count()) + " ms");
  }
}

} // namespace sb::net
