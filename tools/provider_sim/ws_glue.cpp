#include "tools/provider_sim/ws_glue.hpp"

#include <cstring>
#include <vector>

#include "tools/provider_sim/lws_util.hpp"
#include "tools/provider_sim/provider_errors.hpp"
#include "tools/provider_sim/tts_input.hpp"

namespace sb::sim {

namespace {

struct stt_conn {
  stt_stream stream;
  // Counts this stream until its close handshake starts (either side) or, without one,
  // until the socket closes. Not until the handshake ends: the client returns its own
  // slot once it sees the close, and by then this side must already have let go of it,
  // or a client reusing the slot at once would find the stream still counted.
  lease slot;
  std::string rx; // reassembly of a fragmented text frame
};

// A TTS WebSocket (ElevenLabs stream-input, Deepgram /v1/speak): counted from the upgrade
// to the close.
struct tts_conn {
  tts_input_stream stream;
  lease slot;
  std::string rx;
};

} // namespace

struct ws_session {
  stt_conn* conn;
  tts_conn* tts;
};
static_assert(sizeof(ws_session) == ws_session_size, "lws allocates ws_session_size");

namespace {

const char* reason_phrase(unsigned status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 404:
    return "Not Found";
  case 429:
    return "Too Many Requests";
  case 503:
    return "Service Unavailable";
  default:
    return status >= 500 ? "Internal Server Error" : "Error";
  }
}

// Answers the upgrade request with a plain HTTP error; >0 tells lws it was answered.
// Written raw: lws would say "HTTP/1.0" here, which WebSocket clients refuse to parse.
int reject_upgrade(lws* wsi, const http_reply& r) {
  std::string body;
  if (r.body)
    while (r.body->next_due() != never)
      body += r.body->take();
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " +
                     reason_phrase(r.status) + "\r\ncontent-type: " + r.content_type +
                     "\r\ncontent-length: " + std::to_string(body.size()) +
                     "\r\nconnection: close\r\n";
  for (const auto& [name, value] : r.headers)
    head += name + ": " + value + "\r\n";
  std::string msg = head + "\r\n" + body;
  std::vector<unsigned char> buf(LWS_PRE + msg.size());
  std::memcpy(buf.data() + LWS_PRE, msg.data(), msg.size());
  int n = int(msg.size());
  return lws_write(wsi, buf.data() + LWS_PRE, msg.size(), LWS_WRITE_HTTP_HEADERS) == n
             ? 1
             : -1;
}

std::string deepgram_key(const std::string& authorization) {
  std::string key = auth_token(authorization, "Token");
  return key.empty() ? auth_token(authorization, "Bearer") : key;
}

// "/v1/text-to-speech/{voice}/stream-input" -> true.
bool is_stream_input(const std::string& path) {
  static const std::string prefix = "/v1/text-to-speech/", suffix = "/stream-input";
  return path.size() > prefix.size() + suffix.size() && path.rfind(prefix, 0) == 0 &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         path.find('/', prefix.size()) == path.size() - suffix.size();
}

int on_confirm_tts_upgrade(sim_app& app, lws* wsi) {
  sim_services& s = app.services;
  pending_upgrade up;
  up.tts = true;
  up.key = custom_header_value(wsi, "xi-api-key:");
  if (up.key.empty() && s.cfg.require_key)
    return reject_upgrade(wsi, elevenlabs_error(401, "invalid_api_key", "Invalid API key"));
  if (up.key.empty()) up.key = "anonymous";
  auto q = query_args(wsi);
  auto f = q.find("output_format");
  std::string format = f == q.end() ? "mp3_44100_128" : f->second;
  if (format == "pcm_8000")
    up.tts_format = tone_format::pcm16le;
  else if (format != "ulaw_8000")
    return reject_upgrade(
        wsi, elevenlabs_error(400, "invalid_output_format",
                              "The simulator only supports output_format ulaw_8000 and "
                              "pcm_8000, got '" + format + "'."));
  auto fault = s.faults.get(fault_target::tts);
  if (fault == fault_mode::http500)
    return reject_upgrade(
        wsi, elevenlabs_error(500, "internal_server_error", "An internal error occurred."));
  if (fault == fault_mode::http429 ||
      !s.counters.admit(api::tts_elevenlabs, up.key, s.cfg.tts_limit))
    return reject_upgrade(wsi, elevenlabs_error(429, "too_many_concurrent_requests",
                                                "Too many concurrent requests."));
  up.wsi = wsi;
  app.upgrade = std::move(up);
  return 0;
}

// Deepgram Aura over WebSocket: /v1/speak?model=..&encoding=..&sample_rate=..
int on_confirm_speak_upgrade(sim_app& app, lws* wsi) {
  sim_services& s = app.services;
  pending_upgrade up;
  up.tts = up.tts_deepgram = true;
  std::string rid = s.ids.next_uuid();
  up.key = deepgram_key(header_value(wsi, WSI_TOKEN_HTTP_AUTHORIZATION));
  if (up.key.empty() && s.cfg.require_key)
    return reject_upgrade(wsi, deepgram_error(401, "INVALID_AUTH", "Invalid credentials.", rid));
  if (up.key.empty()) up.key = "anonymous";
  auto q = query_args(wsi);
  auto get = [&](const char* k, const char* d) {
    auto i = q.find(k);
    return i == q.end() ? std::string(d) : i->second;
  };
  std::string encoding = get("encoding", "linear16"), rate = get("sample_rate", "24000");
  if ((encoding != "mulaw" && encoding != "linear16") || rate != "8000")
    return reject_upgrade(
        wsi, deepgram_error(400, "INVALID_QUERY_PARAMETER",
                            "The simulator streams encoding=mulaw or linear16 at "
                            "sample_rate=8000, got encoding=" + encoding + " sample_rate=" +
                                rate,
                            rid));
  up.tts_format = encoding == "mulaw" ? tone_format::mulaw : tone_format::pcm16le;
  auto fault = s.faults.get(fault_target::tts);
  if (fault == fault_mode::http500)
    return reject_upgrade(
        wsi, deepgram_error(500, "INTERNAL_SERVER_ERROR", "Internal server error.", rid));
  if (fault == fault_mode::http429 ||
      !s.counters.admit(api::tts_deepgram, up.key, s.cfg.dg_tts_limit))
    return reject_upgrade(
        wsi, deepgram_error(429, "Too Many Requests", "Please try again later.", rid));
  up.wsi = wsi;
  app.upgrade = std::move(up);
  return 0;
}

int on_confirm_upgrade(sim_app& app, lws* wsi) {
  std::string uri = header_value(wsi, WSI_TOKEN_GET_URI);
  if (!app.draining && is_stream_input(uri))
    return on_confirm_tts_upgrade(app, wsi);
  if (!app.draining && (uri == "/v1/speak" || uri == "/v1/speak/"))
    return on_confirm_speak_upgrade(app, wsi);
  sim_services& s = app.services;
  pending_upgrade up;
  up.request_id = s.ids.next_uuid();
  auto reject = [&](unsigned status, const char* code, const std::string& msg) {
    return reject_upgrade(wsi, deepgram_error(status, code, msg, up.request_id));
  };
  if (app.draining)
    return reject(503, "SERVICE_UNAVAILABLE", "The simulator is shutting down.");
  std::string path = header_value(wsi, WSI_TOKEN_GET_URI);
  if (path != "/v1/listen" && path != "/v1/listen/")
    return reject_upgrade(wsi, not_found_reply("GET", path));
  up.key = deepgram_key(header_value(wsi, WSI_TOKEN_HTTP_AUTHORIZATION));
  if (up.key.empty() && s.cfg.require_key)
    return reject(401, "INVALID_AUTH", "Invalid credentials.");
  if (up.key.empty()) up.key = "anonymous";
  std::string error;
  auto opts = parse_stt_options(query_args(wsi), error);
  if (!opts) return reject(400, "Bad Request", error);
  up.options = *opts;
  auto fault = s.faults.get(fault_target::stt);
  if (fault == fault_mode::http500)
    return reject(500, "INTERNAL_SERVER_ERROR", "Internal server error.");
  const char* busy = "Too many requests. Please try again later";
  if (fault == fault_mode::http429 ||
      !s.counters.admit(api::stt, up.key, s.cfg.stt_limit))
    return reject(429, "TOO_MANY_REQUESTS", busy);
  up.wsi = wsi;
  app.upgrade = std::move(up);
  return 0;
}

int on_add_headers(sim_app& app, lws* wsi, void* in) {
  if (app.upgrade.wsi != wsi) return 0;
  auto* args = static_cast<lws_process_html_args*>(in);
  const std::string& rid = app.upgrade.request_id;
  auto** p = reinterpret_cast<unsigned char**>(&args->p);
  return lws_add_http_header_by_name(
             wsi, reinterpret_cast<const unsigned char*>("dg-request-id:"),
             reinterpret_cast<const unsigned char*>(rid.data()), int(rid.size()), p,
             *p + args->max_len)
             ? 1
             : 0;
}

int on_established(sim_app& app, lws* wsi, ws_session* ps) {
  if (!ps || app.upgrade.wsi != wsi) return -1;
  sim_services& s = app.services;
  pending_upgrade up = std::move(app.upgrade);
  app.upgrade = {};
  if (up.tts) {
    tts_input_timing t{s.cfg.tts_ms_per_char, s.cfg.tts_chunk_ms,
                       ms_to_us(s.cfg.tts_first_byte_ms)};
    auto which = up.tts_deepgram ? api::tts_deepgram : api::tts_elevenlabs;
    ps->tts = new tts_conn{tts_input_stream(up.tts_deepgram, up.tts_format, t, now_us()),
                           s.counters.acquire(which, up.key, 0), {}};
    app.tts_active.insert(wsi);
    return 0;
  }
  stt_timing timing{s.cfg.vad_threshold, ms_to_us(s.cfg.stt_final_latency_ms),
                    ms_to_us(s.cfg.stt_idle_timeout_ms)};
  int64_t now = now_us();
  ps->conn = new stt_conn{
      stt_stream(up.options, timing, up.request_id, s.faults.get(fault_target::stt), now),
      s.counters.acquire(api::stt, up.key, 0),
      {}};
  app.stt_active.insert(wsi);
  if (ps->conn->stream.has_due(now)) lws_callback_on_writable(wsi);
  return 0;
}

int on_tts_receive(lws* wsi, tts_conn& c, const void* in, size_t len) {
  int64_t now = now_us();
  if (lws_is_first_fragment(wsi)) c.rx.clear();
  c.rx.append(static_cast<const char*>(in), len);
  if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
    c.stream.on_text(c.rx, now);
    c.rx.clear();
  }
  if (c.stream.has_due(now)) lws_callback_on_writable(wsi);
  return 0;
}

int on_receive(sim_app& app, lws* wsi, ws_session* ps, const void* in, size_t len) {
  if (ps && ps->tts) return on_tts_receive(wsi, *ps->tts, in, len);
  if (!ps || !ps->conn) return -1;
  stt_conn& c = *ps->conn;
  int64_t now = now_us();
  if (lws_frame_is_binary(wsi)) {
    // How the client sends its audio: messages (counted at their first fragment) and bytes.
    if (lws_is_first_fragment(wsi)) ++app.services.stt_audio_messages;
    app.services.stt_audio_bytes += len;
    // Audio is a byte stream: fragments need no reassembly; an empty frame ends it.
    bool whole_frame = lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi);
    if (len > 0 || whole_frame)
      c.stream.on_audio(static_cast<const uint8_t*>(in), len, now);
  } else {
    if (lws_is_first_fragment(wsi)) c.rx.clear();
    c.rx.append(static_cast<const char*>(in), len);
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
      c.stream.on_text(c.rx, now);
      c.rx.clear();
    }
  }
  if (c.stream.has_due(now)) lws_callback_on_writable(wsi);
  return 0;
}

// One due message of a stream; -1 once its close frame is to go.
template <class Conn>
int write_due(lws* wsi, Conn& c) {
  int64_t now = now_us();
  if (!c.stream.has_due(now)) return 0;
  ws_message m = c.stream.pop();
  if (m.close_code) {
    c.slot.release(); // before the close frame leaves: the stream is over
    lws_close_reason(wsi, static_cast<lws_close_status>(m.close_code),
                     reinterpret_cast<unsigned char*>(m.close_reason.data()),
                     m.close_reason.size());
    return -1; // sends the close frame
  }
  std::vector<unsigned char> buf(LWS_PRE + m.text.size());
  std::memcpy(buf.data() + LWS_PRE, m.text.data(), m.text.size());
  if (lws_write(wsi, buf.data() + LWS_PRE, m.text.size(),
                m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < int(m.text.size()))
    return -1;
  if (c.stream.has_due(now)) lws_callback_on_writable(wsi);
  return 0;
}

int on_writeable(lws* wsi, ws_session* ps) {
  if (ps && ps->tts) return write_due(wsi, *ps->tts);
  if (!ps || !ps->conn) return 0;
  stt_conn& c = *ps->conn;
  int64_t now = now_us();
  if (!c.stream.has_due(now)) return 0;
  ws_message m = c.stream.pop();
  if (m.close_code) {
    c.slot.release(); // before the close frame leaves: the stream is over
    lws_close_reason(wsi, static_cast<lws_close_status>(m.close_code),
                     reinterpret_cast<unsigned char*>(m.close_reason.data()),
                     m.close_reason.size());
    return -1; // sends the close frame
  }
  std::vector<unsigned char> buf(LWS_PRE + m.text.size());
  std::memcpy(buf.data() + LWS_PRE, m.text.data(), m.text.size());
  if (lws_write(wsi, buf.data() + LWS_PRE, m.text.size(), LWS_WRITE_TEXT) <
      int(m.text.size()))
    return -1;
  if (c.stream.has_due(now)) lws_callback_on_writable(wsi);
  return 0;
}

void on_closed(sim_app& app, lws* wsi, ws_session* ps) {
  if (app.upgrade.wsi == wsi) app.upgrade = {};
  if (ps && ps->tts) {
    app.tts_active.erase(wsi);
    delete ps->tts; // releases the TTS slot
    ps->tts = nullptr;
  }
  if (!ps || !ps->conn) return;
  app.stt_active.erase(wsi);
  delete ps->conn; // releases the STT slot
  ps->conn = nullptr;
}

} // namespace

int stt_ws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                    size_t len) {
  auto* ps = static_cast<ws_session*>(user);
  switch (reason) {
  case LWS_CALLBACK_PROTOCOL_INIT:
    app_of(wsi).ws_bound = true;
    return 0;
  case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
    return on_confirm_upgrade(app_of(wsi), wsi);
  case LWS_CALLBACK_ADD_HEADERS:
    return on_add_headers(app_of(wsi), wsi, in);
  case LWS_CALLBACK_ESTABLISHED:
    return on_established(app_of(wsi), wsi, ps);
  case LWS_CALLBACK_RECEIVE:
    return on_receive(app_of(wsi), wsi, ps, in, len);
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return on_writeable(wsi, ps);
  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    if (ps && ps->conn) ps->conn->slot.release(); // the client ended the stream
    if (ps && ps->tts) ps->tts->slot.release();
    return 0;
  case LWS_CALLBACK_CLOSED:
    on_closed(app_of(wsi), wsi, ps);
    return 0;
  default:
    break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

namespace {

// Runs fn(stream) for every open stream of `member` (conn: STT, tts: stream-input), then
// asks for a write where one is due.
template <class Member, class Fn>
void each_stream(const std::unordered_set<lws*>& wsis, Member member, int64_t now, Fn fn) {
  for (lws* wsi : wsis) {
    auto* ps = static_cast<ws_session*>(lws_wsi_user(wsi));
    if (!ps || !(ps->*member)) continue;
    auto& stream = (ps->*member)->stream;
    fn(stream);
    if (stream.has_due(now)) lws_callback_on_writable(wsi);
  }
}

} // namespace

void stt_drain(sim_app& app, int64_t now) {
  app.draining = true;
  each_stream(app.tts_active, &ws_session::tts, now, [&](auto& s) { s.shutdown(now); });
  each_stream(app.stt_active, &ws_session::conn, now, [&](auto& s) { s.shutdown(now); });
}

void stt_tick(sim_app& app, int64_t now) {
  bool drop = app.services.drop_stt;
  app.services.drop_stt = false;
  each_stream(app.tts_active, &ws_session::tts, now, [&](auto& s) { s.on_tick(now); });
  each_stream(app.stt_active, &ws_session::conn, now, [&](auto& s) {
    if (drop) s.drop(now);
    s.on_tick(now);
  });
}

} // namespace sb::sim
