// Deepgram live STT over a WebSocket client connection (see protocols.md section 3).
#include <algorithm>
#include <cstring>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "net/codec/deepgram_stt_codec.hpp"
#include "net/io/http_slots.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/provider_hub.hpp"
#include "net/io/tls_detail.hpp"
#include "net/io/ws_close.hpp"

namespace sb::net {

namespace {

std::string custom_header(lws* wsi, const char* name) {
  char buf[256] = {0};
  int n = lws_hdr_custom_copy(wsi, buf, sizeof buf, name, static_cast<int>(std::strlen(name)));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string{};
}

} // namespace

void provider_hub::stt_connect(stt_stream& s) {
  const auto& o = loop_.options().stt_of(s.route);
  codec::stt_query q;
  q.encoding = s.encoding;
  q.sample_rate = 8000;
  q.model = o.model;
  q.language = o.language;
  q.endpointing_ms = static_cast<int>(o.endpointing.count());
  q.utterance_end_ms = static_cast<int>(o.utterance_end.count());
  auto path = codec::deepgram_listen_path(o.url.path, q);
  if (s.key.empty()) {
    fail(s.owner, s.id, provider_kind::stt, failure_kind::rejected, 0, -1,
         "no API key: set $" + o.api_key_env);
    stt_.erase(s.id);
    return;
  }
  lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof ci);
  ci.context = loop_.context();
  ci.vhost = loop_.client_slots(provider_kind::stt, s.route).base();
  ci.address = o.url.host.c_str();
  ci.port = o.url.port;
  ci.path = path.c_str();
  ci.host = ci.address;
  ci.origin = ci.address;
  ci.ssl_connection = o.url.tls() ? LCCSCF_USE_SSL : 0;
  ci.local_protocol_name = "sb-stt-client";
  ci.userdata = &s;
  auto id = s.id;
  lws* wsi = lws_client_connect_via_info(&ci);
  auto i = stt_.find(id);  // a synchronous failure may already have removed it
  if (wsi && i != stt_.end()) {
    i->second->wsi = wsi;
  } else if (!wsi) {
    if (i != stt_.end()) {
      fail(i->second->owner, id, provider_kind::stt, failure_kind::connect_failed, 0, -1,
           "cannot connect to " + o.url.host + ":" + std::to_string(o.url.port));
      stt_.erase(i);
    }
  }
}

int provider_hub::stt_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                               size_t len) {
  auto* s = static_cast<stt_stream*>(user);
  if (!s)
    return 0;
  s->wsi = wsi;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len;
      auto auth = codec::deepgram_auth(s->key);
      if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                       reinterpret_cast<const unsigned char*>(auth.data()),
                                       static_cast<int>(auth.size()), p, end))
        return -1;
      return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      s->open = true;
      s->buffered_audio = 0;
      s->last_sent = steady::now();
      if (s->owner)
        caf::anon_send(s->owner, provider_opened{s->id});
      if (!s->out.empty())
        lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      stt_receive(*s, static_cast<const char*>(in), len,
                  lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0);
      return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      return stt_writeable(*s);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      read_peer_close(in, len, s->close_code, s->close_reason);
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      std::string why = in ? static_cast<const char*>(in) : "connection error";
      auto tls = tls_failure_detail(wsi, why, loop_.options().stt_of(s->route).ca_file);
      if (!tls.empty())
        s->tls_failed = true;  // a retry meets the same certificate
      stt_closed(*s, true, tls.empty() ? why : tls, wsi);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
      stt_closed(*s, false, "", wsi);
      return 0;
    default:
      return 0;
  }
}

void provider_hub::stt_receive(stt_stream& s, const char* data, size_t len, bool final) {
  s.rx.append(data, len);
  if (!final)
    return;
  auto text = std::move(s.rx);
  s.rx.clear();
  if (s.done || !s.owner)
    return;
  auto ev = codec::parse_deepgram_message(text);
  std::visit(
    [&](auto& e) {
      using T = std::decay_t<decltype(e)>;
      if constexpr (std::is_same_v<T, codec::decode_error>) {
        spdlog::warn("stt stream {}: ignoring malformed message: {}", s.id, e.reason);
      } else if constexpr (std::is_same_v<T, codec::stt_ignored>) {
        // Metadata and types we do not use.
      } else {
        if constexpr (std::is_same_v<T, stt_transcript>)
          stt_result_seen(s, e.is_final ? e.end_s : -1.0);
        e.id = s.id;
        caf::anon_send(s.owner, std::move(e));
      }
    },
    ev);
}

void provider_hub::stt_result_seen(stt_stream& s, double end_s) {
  s.reconnects = 0;  // this connection works
  if (end_s < 0)
    return;
  // Audio up to end_s has its final result: it need not be sent again after a loss.
  auto covered = static_cast<uint64_t>(end_s * 1000.0 * bytes_per_ms(s.encoding));
  stt_latency_seen(s, covered);
  s.replay.covered(covered);
}

// The provider's latency: from sending the audio a final result ends with to the result.
// The first write that reaches `covered` held that audio; a result covering more than was
// sent (rounding of end_s) ends with the latest write. Audio older than the marks kept
// went out before the oldest of them: that gives the least the latency was.
void provider_hub::stt_latency_seen(stt_stream& s, uint64_t covered) {
  auto& marks = s.sent_marks;
  if (marks.empty())
    return;  // nothing sent since the last result
  auto sent = marks.back().at;
  for (auto& m : marks)
    if (m.end_bytes >= covered) {
      sent = m.at;
      break;
    }
  while (!marks.empty() && marks.front().end_bytes <= covered)
    marks.pop_front();
  if (auto& report = loop_.probe().stt_latency)
    report(std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - sent));
}

bool provider_hub::stt_reconnect(stt_stream& s, int status, int close_code,
                                 const std::string& why) {
  const auto& o = loop_.options();
  // Retry what a retry can cure: no connection, a 429 or 5xx, a stream cut by the
  // provider or the network. A refused key or a request the provider rejects stays
  // refused; a stream we were closing is not reopened.
  bool curable = status == 0 || status == 429 || status >= 500;
  bool bad_request_close = close_code == 1002 || close_code == 1003 ||
                           close_code == 1007 || close_code == 1008 || close_code == 1009;
  if (s.cancelled || s.done || s.finishing || !curable || bad_request_close || s.tls_failed ||
      s.reconnects >= o.stt_of(s.route).reconnect_attempts || loop_.stopping())
    return false;
  ++s.reconnects;
  ++loop_.probe().stt_reconnects;
  auto backoff = std::chrono::milliseconds{200} * (1 << std::min(s.reconnects - 1, 5u));
  spdlog::warn("stt stream {}: lost ({}), reopening in {} ms (try {} of {}), resending "
               "{} ms of audio not yet transcribed",
               s.id, why, backoff.count(), s.reconnects, o.stt_of(s.route).reconnect_attempts,
               s.replay.size() / bytes_per_ms(s.encoding));
  // What the lost connection had not transcribed goes first, then what queued since.
  auto again = s.replay.take(max_stt_message_bytes);  // the next connection starts at 0
  for (auto i = again.rbegin(); i != again.rend(); ++i)
    s.out.push_front({std::move(*i), true});
  s.sent_marks.clear();  // offsets of the lost connection
  s.buffered_audio = 0;
  auto per_ms = s.encoding == audio_encoding::pcm16le ? 2 : 1;
  for (auto& f : s.out)
    if (f.binary)
      s.buffered_audio += f.bytes.size() / per_ms;
  // KeepAlive and the like were for the old connection.
  s.out.erase(std::remove_if(s.out.begin(), s.out.end(), [](auto& f) { return !f.binary; }),
              s.out.end());
  s.open = false;
  s.wsi = nullptr;
  s.rx.clear();
  s.close_code = 0;
  s.close_reason.clear();
  s.reconnecting = true;
  s.reconnect_at = steady::now() + backoff;
  s.deadline = s.reconnect_at + stt_connect_timeout;
  return true;
}

void provider_hub::stt_reconnect_due(const std::vector<stream_id>& due) {
  for (auto id : due) {
    auto i = stt_.find(id);
    if (i == stt_.end())
      continue;
    i->second->reconnecting = false;
    stt_connect(*i->second);  // may fail at once: then the owner hears of it
  }
}

int provider_hub::stt_writeable(stt_stream& s) {
  if (s.done)
    return -1;
  if (s.out.empty())
    return 0;
  if (!stt_write_front(s))
    return -1;
  if (!s.out.empty())
    lws_callback_on_writable(s.wsi);
  return 0;
}

bool provider_hub::stt_write_front(stt_stream& s) {
  // Audio that queued up (while connecting, or behind a slow socket) goes as one binary
  // message: Deepgram takes audio in chunks of any size.
  auto& first = s.out.front();
  size_t bytes = first.bytes.size();
  size_t frames = 1;
  if (first.binary)
    for (auto i = s.out.begin() + 1; i != s.out.end() && i->binary &&
                                      bytes + i->bytes.size() <= max_stt_message_bytes;
         ++i, ++frames)
      bytes += i->bytes.size();
  write_buf_.resize(LWS_PRE + bytes);
  auto* p = write_buf_.data() + LWS_PRE;
  bool binary = first.binary;
  if (binary)
    s.batch_bytes = 0;  // the held-back audio goes with this write
  auto begin = s.replay.end();
  for (size_t k = 0; k < frames; ++k) {
    auto& f = s.out.front();
    std::memcpy(p, f.bytes.data(), f.bytes.size());
    p += f.bytes.size();
    s.out.pop_front();
  }
  if (binary) {  // kept until a final result covers it, to resend after a loss
    s.replay.sent(reinterpret_cast<const uint8_t*>(write_buf_.data() + LWS_PRE), bytes);
    s.sent_marks.push_back({begin, s.replay.end(), steady::now()});
    if (s.sent_marks.size() > max_sent_marks)
      s.sent_marks.pop_front();
  }
  auto n = lws_write(s.wsi, reinterpret_cast<unsigned char*>(write_buf_.data() + LWS_PRE),
                     bytes, binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
  if (n < static_cast<int>(bytes))
    return false;
  s.last_sent = steady::now();
  return true;
}

void provider_hub::stt_closed(stt_stream& s, bool connection_error, const std::string& why,
                              lws* wsi) {
  auto id = s.id;
  int status = connection_error && wsi ? static_cast<int>(lws_http_client_http_response(wsi))
                                       : 0;
  if (!s.cancelled && !s.done && s.owner &&
      stt_reconnect(s, status, connection_error ? 0 : s.close_code,
                    connection_error ? (status ? "HTTP " + std::to_string(status) : why)
                                     : codec::close_reason_detail(s.close_code,
                                                                  s.close_reason))) {
    if (wsi)
      lws_set_wsi_user(wsi, nullptr);
    return;
  }
  if (s.cancelled && s.owner) {
    caf::anon_send(s.owner, provider_closed{id, s.close_code ? s.close_code : 1000});
  } else if (!s.done && s.owner) {
    if (connection_error) {
      auto dg_error = wsi ? custom_header(wsi, "dg-error:") : std::string{};
      auto kind = status == 429 ? failure_kind::rate_limited
                  : status > 0  ? failure_kind::http_status
                                : failure_kind::connect_failed;
      fail(s.owner, id, provider_kind::stt, kind, status, -1,
           status > 0 ? codec::deepgram_error_detail(status, dg_error, "") : why);
    } else if (s.finishing && (s.close_code == 1000 || s.close_code == 0)) {
      caf::anon_send(s.owner, provider_closed{id, 1000});
    } else {
      fail(s.owner, id, provider_kind::stt, failure_kind::closed, s.close_code, -1,
           codec::close_reason_detail(s.close_code, s.close_reason));
    }
  }
  // lws may still call back for this wsi (e.g. WSI_DESTROY): detach before freeing.
  if (wsi)
    lws_set_wsi_user(wsi, nullptr);
  stt_.erase(id);
}

} // namespace sb::net
