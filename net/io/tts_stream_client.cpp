// TTS over one WebSocket per reply. ElevenLabs stream-input (protocols.md section 5): the
// reply's sentences go in as the LLM writes them, each flushed so its audio starts at
// once; the audio comes back base64 in JSON, and {"isFinal":true} ends the stream.
// Deepgram Aura (/v1/speak): each sentence is a Speak message and its audio comes in
// binary frames as it is made; a Flush at the end of the reply is answered by Flushed
// once the last audio has gone, and the client closes the socket.
#include <cstring>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "net/codec/deepgram_stt_codec.hpp"  // close_reason_detail
#include "net/codec/tts_codec.hpp"
#include "net/codec/tts_stream_codec.hpp"
#include "net/io/http_slots.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/provider_hub.hpp"
#include "net/io/tls_detail.hpp"
#include "net/io/ws_close.hpp"

namespace sb::net {

namespace {
constexpr size_t max_tts_message = 1024 * 1024;
}

void provider_hub::open_tts_stream(stream_id id, caf::actor owner, uint32_t key,
                                   provider_route route) {
  const auto& o = loop_.options().tts_of(route);
  const auto& keys = loop_.options().keys_of(provider_kind::tts, route);
  auto t = std::make_unique<tts_ws_stream>();
  t->id = id;
  t->owner = std::move(owner);
  t->route = route;
  t->key = key < keys.size() ? keys[key] : std::string{};
  t->deadline = steady::now() + o.timeout;
  t->deepgram = o.provider == "deepgram";
  if (!t->deepgram)
    t->out.push_back(codec::elevenlabs_input_open());
  ++loop_.probe().provider_streams;
  if (t->key.empty()) {
    fail(t->owner, id, provider_kind::tts, failure_kind::rejected, 0, -1,
         "no API key: set $" + o.api_key_env);
    return;
  }
  auto path = t->deepgram ? codec::deepgram_speak_ws_path(o.url.path, o.model)
                          : codec::elevenlabs_input_path(o.url.path, o.voice, o.model);
  auto& ref = *t;
  tts_ws_.emplace(id, std::move(t));
  lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof ci);
  ci.context = loop_.context();
  ci.vhost = loop_.client_slots(provider_kind::tts, route).base();
  ci.address = o.url.host.c_str();
  ci.port = o.url.port;
  ci.path = path.c_str();
  ci.host = ci.address;
  ci.origin = ci.address;
  ci.ssl_connection = o.url.tls() ? LCCSCF_USE_SSL : 0;
  ci.local_protocol_name = "sb-tts-ws-client";
  ci.userdata = &ref;
  lws* wsi = lws_client_connect_via_info(&ci);
  auto i = tts_ws_.find(id);  // a synchronous failure may already have removed it
  if (wsi && i != tts_ws_.end()) {
    i->second->wsi = wsi;
  } else if (!wsi && i != tts_ws_.end()) {
    fail(i->second->owner, id, provider_kind::tts, failure_kind::connect_failed, 0, -1,
         "cannot connect to " + o.url.host + ":" + std::to_string(o.url.port));
    tts_ws_.erase(i);
  }
}

void provider_hub::tts_stream_text(stream_id id, std::string text) {
  auto i = tts_ws_.find(id);
  if (i == tts_ws_.end() || i->second->done || i->second->finishing || text.empty())
    return;
  auto& t = *i->second;
  tts_ws_queue(t, t.deepgram ? codec::deepgram_speak_text(text)
                             : codec::elevenlabs_input_text(text, true));
}

void provider_hub::tts_stream_finish(stream_id id) {
  auto i = tts_ws_.find(id);
  if (i == tts_ws_.end() || i->second->done || i->second->finishing)
    return;
  auto& t = *i->second;
  t.finishing = true;
  tts_ws_queue(t, t.deepgram ? codec::deepgram_speak_flush() : codec::elevenlabs_input_end());
}

void provider_hub::tts_ws_queue(tts_ws_stream& t, std::string msg) {
  t.out.push_back(std::move(msg));
  t.deadline = steady::now() + loop_.options().tts_of(t.route).timeout;
  if (t.open && t.wsi)
    lws_callback_on_writable(t.wsi);
}

int provider_hub::tts_ws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                                  size_t len) {
  auto* t = static_cast<tts_ws_stream*>(user);
  if (!t)
    return 0;
  t->wsi = wsi;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len;
      auto value = t->deepgram ? codec::deepgram_auth(t->key) : t->key;
      const char* name = t->deepgram ? "authorization:" : "xi-api-key:";
      return lws_add_http_header_by_name(
               wsi, reinterpret_cast<const unsigned char*>(name),
               reinterpret_cast<const unsigned char*>(value.data()),
               static_cast<int>(value.size()), p, end)
               ? -1
               : 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      t->open = true;
      if (!t->out.empty())
        lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      tts_ws_receive(*t, static_cast<const char*>(in), len,
                     lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0,
                     lws_frame_is_binary(wsi));
      return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (t->out.empty() || t->done)
        return 0;
      auto& m = t->out.front();
      std::string buf(LWS_PRE + m.size(), '\0');
      std::memcpy(buf.data() + LWS_PRE, m.data(), m.size());
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(buf.data() + LWS_PRE), m.size(),
                    LWS_WRITE_TEXT) < static_cast<int>(m.size()))
        return -1;
      t->out.pop_front();
      if (!t->out.empty())
        lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      read_peer_close(in, len, t->close_code, t->close_reason);
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      std::string why = in ? static_cast<const char*>(in) : "connection error";
      auto tls = tls_failure_detail(wsi, why, loop_.options().tts_of(t->route).ca_file);
      tts_ws_closed(*t, true, tls.empty() ? why : tls, wsi);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
      tts_ws_closed(*t, false, "", wsi);
      return 0;
    default:
      return 0;
  }
}

void provider_hub::tts_ws_receive(tts_ws_stream& t, const char* data, size_t len, bool final,
                                  bool binary) {
  if (binary) {  // Deepgram's audio: a byte stream, fragments need no reassembly
    if (!t.done && t.owner && len > 0) {
      t.deadline = steady::now() + loop_.options().tts_of(t.route).timeout;
      caf::anon_send(t.owner, tts_audio{t.id, audio_bytes(data, data + len)});
    }
    return;
  }
  if (t.rx.size() + len > max_tts_message) {
    if (!t.done) {
      t.done = true;
      fail(t.owner, t.id, provider_kind::tts, failure_kind::malformed, 0, -1,
           "a TTS stream message larger than 1 MiB");
    }
    kill(t.wsi);
    return;
  }
  t.rx.append(data, len);
  if (!final)
    return;
  auto text = std::move(t.rx);
  t.rx.clear();
  if (t.done)
    return;
  auto ev = t.deepgram ? codec::parse_deepgram_speak_output(text)
                       : codec::parse_elevenlabs_output(text);
  switch (ev.kind) {
    case codec::tts_stream_event::audio:
      t.deadline = steady::now() + loop_.options().tts_of(t.route).timeout;
      if (t.owner && !ev.bytes.empty())
        caf::anon_send(t.owner, tts_audio{t.id, std::move(ev.bytes)});
      break;
    case codec::tts_stream_event::final:
      t.done = true;
      if (t.owner)
        caf::anon_send(t.owner, tts_done{t.id});
      // ElevenLabs closes by itself after isFinal; Deepgram is asked to. Either way
      // nothing more is needed from the socket.
      kill(t.wsi);
      break;
    case codec::tts_stream_event::error:
      t.done = true;
      fail(t.owner, t.id, provider_kind::tts, failure_kind::malformed, 0, -1, ev.message);
      kill(t.wsi);
      break;
    case codec::tts_stream_event::other:
      break;
  }
}

void provider_hub::tts_ws_closed(tts_ws_stream& t, bool connection_error,
                                 const std::string& why, lws* wsi) {
  auto id = t.id;
  if (t.cancelled && t.owner) {
    caf::anon_send(t.owner, provider_closed{id, t.close_code ? t.close_code : 1000});
  } else if (!t.done && t.owner) {
    t.done = true;
    if (connection_error) {
      int status = wsi ? static_cast<int>(lws_http_client_http_response(wsi)) : 0;
      auto kind = status == 429 ? failure_kind::rate_limited
                  : status > 0  ? failure_kind::http_status
                                : failure_kind::connect_failed;
      fail(t.owner, id, provider_kind::tts, kind, status, -1,
           status > 0 ? "HTTP " + std::to_string(status) + " on the stream-input upgrade"
                      : why);
    } else {
      fail(t.owner, id, provider_kind::tts, failure_kind::closed, t.close_code, -1,
           codec::close_reason_detail(t.close_code, t.close_reason));
    }
  }
  if (wsi)
    lws_set_wsi_user(wsi, nullptr);
  tts_ws_.erase(id);
}

void provider_hub::tts_ws_tick(steady::time_point now) {
  for (auto& [id, t] : tts_ws_) {
    if (t->done || now <= t->deadline)
      continue;
    t->done = true;
    fail(t->owner, id, provider_kind::tts, failure_kind::timeout, 0, -1,
         "no audio from the TTS stream in time");
    kill(t->wsi);
  }
}

} // namespace sb::net
