// HTTP POST clients with streamed replies: OpenAI-compatible chat completions (SSE) and
// TTS audio (ElevenLabs stream, Deepgram Aura speak). See protocols.md sections 4-6.
#include <cstring>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "net/codec/deepgram_stt_codec.hpp"
#include "net/codec/openai_codec.hpp"
#include "net/codec/rate_limit_headers.hpp"
#include "net/codec/tts_codec.hpp"
#include "net/io/http_slots.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/provider_hub.hpp"
#include "net/io/tls_detail.hpp"

namespace sb::net {

namespace {

constexpr size_t max_error_body = 64 * 1024;

std::string header(lws* wsi, const char* name) {
  char buf[256] = {0};
  int n = lws_hdr_custom_copy(wsi, buf, sizeof buf, name, static_cast<int>(std::strlen(name)));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string{};
}

bool ok_status(int status) { return status >= 200 && status < 300; }

} // namespace

namespace {
std::string key_at(const std::vector<std::string>& keys, uint32_t i) {
  return i < keys.size() ? keys[i] : std::string{};
}
} // namespace

void provider_hub::start_llm(stream_id id, caf::actor owner, std::vector<chat_message> msgs,
                             uint32_t key_index) {
  const auto& o = loop_.options();
  auto key = key_at(o.keys.llm, key_index);
  auto h = std::make_unique<http_stream>();
  h->id = id;
  h->kind = provider_kind::llm;
  h->owner = std::move(owner);
  h->url = o.llm.url;
  h->path = o.llm.url.path + "/chat/completions";
  h->body = codec::openai_chat_body(o.llm.model, msgs, o.llm.max_tokens);
  h->headers = {{"authorization:", "Bearer " + key},
                {"accept:", "text/event-stream"}};
  h->deadline = steady::now() + o.llm.timeout;
  if (key.empty()) {
    fail(h->owner, id, provider_kind::llm, failure_kind::rejected, 0, -1,
         "no API key: set $" + o.llm.api_key_env);
    return;
  }
  http_connect(std::move(h));
}

void provider_hub::start_tts(stream_id id, caf::actor owner, std::string text,
                             uint32_t key_index, provider_route route) {
  const auto& o = loop_.options().tts_of(route);
  auto key = key_at(loop_.options().keys_of(provider_kind::tts, route), key_index);
  auto h = std::make_unique<http_stream>();
  h->id = id;
  h->kind = provider_kind::tts;
  h->route = route;
  h->owner = std::move(owner);
  h->url = o.url;
  if (o.provider == "deepgram") {
    h->path = codec::deepgram_speak_path(o.url.path, o.model);
    h->body = codec::deepgram_speak_body(text);
    h->headers = {{"authorization:", codec::deepgram_auth(key)}};
  } else {
    h->path = codec::elevenlabs_stream_path(o.url.path, o.voice, "ulaw_8000");
    h->body = codec::elevenlabs_body(text, o.model);
    h->headers = {{"xi-api-key:", key}};
  }
  h->deadline = steady::now() + o.timeout;
  if (key.empty()) {
    fail(h->owner, id, provider_kind::tts, failure_kind::rejected, 0, -1,
         "no API key: set $" + o.api_key_env);
    return;
  }
  http_connect(std::move(h));
}

void provider_hub::http_connect(std::unique_ptr<http_stream> hp) {
  auto id = hp->id;
  auto& h = *hp;
  http_.emplace(id, std::move(hp));
  ++loop_.probe().provider_streams;
  if (http_open(h))
    return;
  auto i = http_.find(id);  // a synchronous failure may already have removed it
  if (i == http_.end())
    return;
  fail(h.owner, id, h.kind, failure_kind::connect_failed, 0, -1,
       "cannot connect to " + h.url.host + ":" + std::to_string(h.url.port));
  http_release(h, nullptr, false);
  http_.erase(i);
}

namespace {
// The mark on an idle kept-alive connection: which slot it is and the slot's generation,
// so its close is told apart from a later connection of the same slot.
void* idle_mark(provider_kind k, provider_route r, int slot, uint32_t generation) {
  auto v = (static_cast<uintptr_t>(generation) << 16) |
           (static_cast<uintptr_t>(r) << 14) | (static_cast<uintptr_t>(k) << 12) |
           static_cast<uintptr_t>(slot);
  return reinterpret_cast<void*>(v + 1);
}
} // namespace

bool provider_hub::http_open(http_stream& h) {
  auto& slots = loop_.client_slots(h.kind, h.route);
  auto taken = slots.take();
  h.slot = taken.slot;
  h.warm = taken.warm;
  h.wsi = nullptr;
  h.body_sent = false;
  ++loop_.probe().http_requests;
  if (h.warm)
    ++loop_.probe().http_reused;
  lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof ci);
  ci.context = loop_.context();
  ci.vhost = taken.vhost;
  ci.address = h.url.host.c_str();
  ci.port = h.url.port;
  ci.path = h.path.c_str();
  ci.host = ci.address;
  ci.origin = ci.address;
  ci.method = "POST";
  ci.alpn = "http/1.1";
  // On a slot, lws reuses the slot's idle connection (HTTP/1.1 keep-alive) if it has one.
  ci.ssl_connection = (h.url.tls() ? LCCSCF_USE_SSL : 0) | (h.slot >= 0 ? LCCSCF_PIPELINE : 0);
  ci.keep_warm_secs = slots.keep_warm_secs();
  ci.local_protocol_name = "sb-http-client";
  ci.userdata = &h;
  auto id = h.id;
  lws* wsi = lws_client_connect_via_info(&ci);
  auto i = http_.find(id);
  if (wsi && i != http_.end())
    i->second->wsi = wsi;
  return wsi != nullptr || i == http_.end();
}

void provider_hub::http_release(http_stream& h, lws* wsi, bool reusable) {
  auto& slots = loop_.client_slots(h.kind, h.route);
  if (h.slot >= 0) {
    slots.give_back(h.slot, reusable);
    if (wsi && reusable)
      lws_set_opaque_user_data(
        wsi, idle_mark(h.kind, h.route, h.slot, slots.generation(h.slot)));
  }
  h.slot = -1;
  // lws may still call back for this wsi (idle, closed, WSI_DESTROY): detach first.
  if (wsi)
    lws_set_wsi_user(wsi, nullptr);
  h.wsi = nullptr;
}

void provider_hub::http_kill(http_stream& h) {
  h.killed = true;
  kill(h.wsi);
}

void provider_hub::http_idle_closed(lws* wsi) {
  auto v = reinterpret_cast<uintptr_t>(lws_get_opaque_user_data(wsi));
  if (!v)
    return;
  lws_set_opaque_user_data(wsi, nullptr);
  --v;
  auto kind = static_cast<int>((v >> 12) & 0x3);
  auto route = static_cast<int>((v >> 14) & 0x3);
  if (kind > static_cast<int>(provider_kind::tts) || route > 1)
    return;
  loop_.client_slots(static_cast<provider_kind>(kind), static_cast<provider_route>(route))
    .idle_closed(static_cast<int>(v & 0xfff), static_cast<uint32_t>(v >> 16));
}

int provider_hub::http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                                size_t len) {
  auto* h = static_cast<http_stream*>(user);
  if (!h) {
    // A kept-alive connection with no request on it; its close frees the slot's reuse.
    if (reason == LWS_CALLBACK_CLOSED_CLIENT_HTTP || reason == LWS_CALLBACK_WSI_DESTROY)
      http_idle_closed(wsi);
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
  h->wsi = wsi;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len;
      auto add = [&](const std::string& name, const std::string& value) {
        return lws_add_http_header_by_name(
          wsi, reinterpret_cast<const unsigned char*>(name.c_str()),
          reinterpret_cast<const unsigned char*>(value.data()), static_cast<int>(value.size()),
          p, end);
      };
      for (auto& [name, value] : h->headers)
        if (add(name, value))
          return -1;
      if (add("content-type:", "application/json") ||
          add("content-length:", std::to_string(h->body.size())))
        return -1;
      lws_client_http_body_pending(wsi, 1);
      lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
      if (h->body_sent)
        return 0;
      h->body_sent = true;
      std::string buf(LWS_PRE + h->body.size(), '\0');
      std::memcpy(buf.data() + LWS_PRE, h->body.data(), h->body.size());
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(buf.data() + LWS_PRE),
                    h->body.size(), LWS_WRITE_HTTP_FINAL) != static_cast<int>(h->body.size()))
        return -1;
      lws_client_http_body_pending(wsi, 0);
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
      http_established(*h, wsi);
      return 0;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
      char buffer[4096 + LWS_PRE];
      char* px = buffer + LWS_PRE;
      int lenx = static_cast<int>(sizeof buffer - LWS_PRE);
      return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
      http_data(*h, static_cast<const char*>(in), len);
      return 0;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP: {
      // The whole reply has arrived: unless we are closing it, the connection stays open
      // for the next request.
      http_completed(*h);
      if (h->cancelled && h->owner)
        caf::anon_send(h->owner, provider_closed{h->id, 0});
      auto id = h->id;
      http_release(*h, wsi, !h->killed);
      http_.erase(id);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      std::string why = in ? static_cast<const char*>(in) : "connection error";
      const auto& o = loop_.options();
      auto tls = tls_failure_detail(wsi, why, h->kind == provider_kind::llm
                                                ? o.llm.ca_file
                                                : o.tts_of(h->route).ca_file);
      http_closed(*h, tls.empty() ? why : tls);
      return 0;
    }
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
      http_closed(*h, "connection closed before the reply was complete");
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

void provider_hub::http_established(http_stream& h, lws* wsi) {
  h.status = static_cast<int>(lws_http_client_http_response(wsi));
  h.retry_after_ms =
    codec::parse_retry_after_ms(header(wsi, "retry-after:"), header(wsi, "retry-after-ms:"));
}

void provider_hub::http_data(http_stream& h, const char* data, size_t len) {
  if (h.done)
    return;
  if (!ok_status(h.status)) {
    if (h.error_body.size() < max_error_body)
      h.error_body.append(data, std::min(len, max_error_body - h.error_body.size()));
    return;
  }
  if (h.kind == provider_kind::tts) {
    if (h.owner && len > 0)
      caf::anon_send(h.owner, tts_audio{h.id, audio_bytes(data, data + len)});
    return;
  }
  std::vector<std::string> events;
  h.sse.feed(std::string_view(data, len), events);
  // The tokens of one read go to the call as one message (a server often sends several
  // at once): one hand-over between threads instead of one per token, the same text.
  std::string tokens;
  auto send_tokens = [&] {
    if (!tokens.empty() && h.owner)
      caf::anon_send(h.owner, llm_token{h.id, std::move(tokens)});
    tokens.clear();
  };
  for (auto& ev : events) {
    if (h.done)
      break;
    auto parsed = codec::parse_openai_chunk(ev);
    if (!std::holds_alternative<codec::llm_delta>(parsed))
      send_tokens();  // what came before the end or the error goes first
    if (auto* d = std::get_if<codec::llm_delta>(&parsed)) {
      tokens += d->text;
      if (!d->finish_reason.empty())
        h.finish_reason = d->finish_reason;
    } else if (auto* u = std::get_if<codec::llm_usage>(&parsed)) {
      h.prompt_tokens = u->prompt_tokens;
      h.completion_tokens = u->completion_tokens;
    } else if (std::holds_alternative<codec::llm_stream_end>(parsed)) {
      // The reply is complete; the body's end follows at once and leaves the connection
      // open for the next request (the deadline still bounds a server that never ends it).
      h.done = true;
      h.complete = true;
      if (h.owner)
        caf::anon_send(h.owner, llm_done{h.id, h.finish_reason, h.prompt_tokens,
                                         h.completion_tokens});
    } else if (auto* e = std::get_if<codec::llm_api_error>(&parsed)) {
      h.done = true;
      fail(h.owner, h.id, h.kind, failure_kind::http_status, h.status, -1,
           "error in stream: " + e->message);
    } else if (auto* bad = std::get_if<codec::decode_error>(&parsed)) {
      h.done = true;
      fail(h.owner, h.id, h.kind, failure_kind::malformed, h.status, -1, bad->reason);
    }
  }
  send_tokens();
  if (!h.done && h.sse.overflowed()) {
    h.done = true;
    fail(h.owner, h.id, h.kind, failure_kind::malformed, h.status, -1,
         "server-sent event larger than the limit");
  }
  if (h.done && !h.complete)
    http_kill(h);
}

void provider_hub::http_completed(http_stream& h) {
  if (h.done)
    return;
  h.done = true;
  if (!ok_status(h.status)) {
    std::string detail;
    if (h.kind == provider_kind::llm)
      detail = codec::openai_error_detail(h.status, h.error_body);
    else if (loop_.options().tts_of(h.route).provider == "deepgram")
      detail = codec::deepgram_error_detail(h.status, "", h.error_body);
    else
      detail = codec::elevenlabs_error_detail(h.status, h.error_body);
    fail(h.owner, h.id, h.kind,
         h.status == 429 ? failure_kind::rate_limited : failure_kind::http_status, h.status,
         h.retry_after_ms, detail);
    return;
  }
  if (!h.owner)
    return;
  if (h.kind == provider_kind::tts) {
    caf::anon_send(h.owner, tts_done{h.id});
  } else if (!h.finish_reason.empty()) {
    caf::anon_send(h.owner, llm_done{h.id, h.finish_reason, h.prompt_tokens,
                                     h.completion_tokens});
  } else {
    fail(h.owner, h.id, h.kind, failure_kind::malformed, h.status, -1,
         "stream ended without [DONE]");
  }
}

void provider_hub::http_closed(http_stream& h, const std::string& why) {
  auto id = h.id;
  auto* wsi = h.wsi;
  // A kept-alive connection the server had closed before it saw this request: send it
  // again, once, on a new connection (nothing of it reached the provider).
  if (h.warm && !h.retried && !h.done && h.status == 0) {
    h.retried = true;
    ++loop_.probe().http_retried;
    http_release(h, wsi, false);
    if (!http_open(h) && http_.count(id)) {
      fail(h.owner, id, h.kind, failure_kind::connect_failed, 0, -1, why);
      http_.erase(id);
    }
    return;
  }
  if (h.cancelled && h.owner)
    caf::anon_send(h.owner, provider_closed{id, 0});
  if (!h.done && h.status != 0 && !ok_status(h.status))
    http_completed(h);  // an error reply is complete once the server closes
  if (!h.done) {
    h.done = true;
    fail(h.owner, id, h.kind, h.status ? failure_kind::closed : failure_kind::connect_failed,
         h.status, -1, why);
  }
  http_release(h, wsi, false);
  http_.erase(id);
}

} // namespace sb::net
