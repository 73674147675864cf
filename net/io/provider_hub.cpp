#include "net/io/provider_hub.hpp"

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "net/io/io_loop.hpp"

namespace sb::net {

namespace {

constexpr auto keepalive_every = std::chrono::seconds{4};

class port_impl : public provider_port {
public:
  port_impl(io_loop& loop, provider_hub& hub) : loop_(loop), hub_(hub) {}

  stream_id open_stt(caf::actor owner, audio_encoding enc, uint32_t key,
                     provider_route route) override {
    auto id = hub_.next_id++;
    if (!loop_.post([this, id, o = std::move(owner), enc, key, route]() mutable {
          hub_.open_stt(id, std::move(o), enc, key, route);
        }))
      return 0;
    return id;
  }
  void stt_audio(stream_id id, audio_bytes audio) override {
    loop_.post([this, id, a = std::move(audio)]() mutable { hub_.stt_audio(id, std::move(a)); });
  }
  void stt_finish(stream_id id) override {
    loop_.post([this, id] { hub_.stt_finish(id); });
  }
  stream_id start_llm(caf::actor owner, std::vector<chat_message> messages,
                      uint32_t key) override {
    auto id = hub_.next_id++;
    if (!loop_.post([this, id, o = std::move(owner), m = std::move(messages), key]() mutable {
          hub_.start_llm(id, std::move(o), std::move(m), key);
        }))
      return 0;
    return id;
  }
  stream_id start_tts(caf::actor owner, std::string text, uint32_t key,
                      provider_route route) override {
    auto id = hub_.next_id++;
    if (!loop_.post([this, id, o = std::move(owner), t = std::move(text), key, route]() mutable {
          hub_.start_tts(id, std::move(o), std::move(t), key, route);
        }))
      return 0;
    return id;
  }
  stream_id open_tts_stream(caf::actor owner, uint32_t key, provider_route route) override {
    auto id = hub_.next_id++;
    if (!loop_.post([this, id, o = std::move(owner), key, route]() mutable {
          hub_.open_tts_stream(id, std::move(o), key, route);
        }))
      return 0;
    return id;
  }
  void tts_stream_text(stream_id id, std::string text) override {
    loop_.post([this, id, t = std::move(text)]() mutable { hub_.tts_stream_text(id, std::move(t)); });
  }
  void tts_stream_finish(stream_id id) override {
    loop_.post([this, id] { hub_.tts_stream_finish(id); });
  }
  void cancel(stream_id id) override {
    loop_.post([this, id] { hub_.cancel(id); });
  }

private:
  io_loop& loop_;
  provider_hub& hub_;
};

} // namespace

provider_hub::provider_hub(io_loop& loop) : loop_(loop) {
  port_ = std::make_shared<port_impl>(loop, *this);
  // 8 bytes of mu-law per ms; PCM is twice that and is accounted in mu-law units.
  max_pending_audio_mulaw_ = static_cast<size_t>(loop.options().stt_buffer.count()) * 8;
}

provider_hub::~provider_hub() = default;

void provider_hub::fail(caf::actor& owner, stream_id id, provider_kind kind, failure_kind fk,
                        int status, int64_t retry_after_ms, std::string detail) {
  ++loop_.probe().provider_failures;
  spdlog::warn("{} stream {} failed: {} {} {}", to_string(kind), id, to_string(fk), status,
               detail);
  if (owner)
    caf::anon_send(owner, provider_failure{id, kind, fk, status, retry_after_ms,
                                           std::move(detail)});
}

void provider_hub::kill(lws* wsi) {
  if (wsi)
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void provider_hub::cancel(stream_id id) {
  // No more events, except provider_closed once the connection is really gone.
  if (auto i = stt_.find(id); i != stt_.end()) {
    auto& s = *i->second;
    if (s.cancelled)
      return;
    bool was_done = s.done;
    s.done = true;
    s.cancelled = !was_done;
    if (s.wsi) {
      kill(s.wsi);
    } else {
      if (s.cancelled && s.owner)
        caf::anon_send(s.owner, provider_closed{id, 1000});
      stt_.erase(i);
    }
    return;
  }
  if (auto i = tts_ws_.find(id); i != tts_ws_.end()) {
    auto& t = *i->second;
    if (t.cancelled)
      return;
    t.cancelled = !t.done;
    t.done = true;
    if (t.wsi) {
      kill(t.wsi);
    } else {
      if (t.cancelled && t.owner)
        caf::anon_send(t.owner, provider_closed{id, 1000});
      tts_ws_.erase(i);
    }
    return;
  }
  if (auto i = http_.find(id); i != http_.end()) {
    auto& h = *i->second;
    if (h.cancelled)
      return;
    bool was_done = h.done;
    h.done = true;
    h.cancelled = !was_done;
    if (h.wsi) {
      http_kill(h);
    } else {
      if (h.cancelled && h.owner)
        caf::anon_send(h.owner, provider_closed{id, 0});
      http_.erase(i);
    }
  }
}

void provider_hub::cancel_all() {
  std::vector<stream_id> ids;
  for (auto& kv : stt_)
    ids.push_back(kv.first);
  for (auto& kv : http_)
    ids.push_back(kv.first);
  for (auto& kv : tts_ws_)
    ids.push_back(kv.first);
  for (auto id : ids)
    cancel(id);
}

void provider_hub::on_tick() {
  stt_flush_batches(steady::now());
  if (++tick_count_ % 5 != 0)  // every 100 ms is precise enough for deadlines
    return;
  auto now = steady::now();
  std::vector<stream_id> reconnect;
  for (auto& [id, s] : stt_) {
    if (s->reconnecting && now >= s->reconnect_at)
      reconnect.push_back(id);
    if (s->done || s->reconnecting)
      continue;
    if (!s->open && now > s->deadline) {
      fail(s->owner, id, provider_kind::stt, failure_kind::timeout, 0, -1,
           "no connection within 10 s");
      s->done = true;
      kill(s->wsi);
    } else if (s->open && !s->finishing && now - s->last_sent > keepalive_every) {
      stt_queue_text(*s, R"({"type":"KeepAlive"})");
    }
  }
  stt_reconnect_due(reconnect);  // after the loop: a connect may change stt_
  tts_ws_tick(now);
  for (auto& [id, h] : http_) {
    if (now <= h->deadline || h->killed)
      continue;
    if (!h->done)
      fail(h->owner, id, h->kind, failure_kind::timeout, h->status, -1,
           "no complete reply in time");
    h->done = true;  // or the reply was complete and the body never ended: close it
    http_kill(*h);
  }
}

void provider_hub::open_stt(stream_id id, caf::actor owner, audio_encoding enc,
                            uint32_t key, provider_route route) {
  auto s = std::make_unique<stt_stream>();
  s->id = id;
  s->owner = std::move(owner);
  s->encoding = enc;
  s->route = route;
  s->replay = replay_buffer(
    static_cast<size_t>(std::chrono::duration_cast<std::chrono::milliseconds>(replay_window)
                          .count()) * bytes_per_ms(enc),
    enc == audio_encoding::pcm16le ? 2 : 1);
  const auto& keys = loop_.options().keys_of(provider_kind::stt, route);
  s->key = key < keys.size() ? keys[key] : std::string{};
  s->deadline = steady::now() + stt_connect_timeout;
  auto& ref = *s;
  stt_.emplace(id, std::move(s));
  ++loop_.probe().provider_streams;
  stt_connect(ref);
}

void provider_hub::stt_audio(stream_id id, audio_bytes audio) {
  auto i = stt_.find(id);
  if (i == stt_.end() || i->second->done || i->second->finishing || audio.empty())
    return;
  auto& s = *i->second;
  auto n = audio.size();
  if (s.open && s.wsi) {
    stt_send_audio(s, std::move(audio));
    return;
  }
  stt_queue(s, std::move(audio), true);
  if (s.open)
    return;
  // Still connecting: keep the most recent audio only, oldest dropped first.
  auto per_ms = s.encoding == audio_encoding::pcm16le ? 2 : 1;
  s.buffered_audio += n / per_ms;
  while (s.buffered_audio > max_pending_audio_mulaw_ && !s.out.empty()) {
    auto& f = s.out.front();
    if (f.binary) {
      s.buffered_audio -= f.bytes.size() / per_ms;
      loop_.probe().stt_audio_dropped += f.bytes.size();
    }
    s.out.pop_front();
  }
}

void provider_hub::stt_finish(stream_id id) {
  auto i = stt_.find(id);
  if (i == stt_.end() || i->second->done || i->second->finishing)
    return;
  stt_queue_text(*i->second, R"({"type":"CloseStream"})");
  i->second->finishing = true;
}

void provider_hub::stt_queue_text(stt_stream& s, const std::string& text) {
  stt_queue(s, audio_bytes(text.begin(), text.end()), false);
}

void provider_hub::stt_queue(stt_stream& s, audio_bytes bytes, bool binary) {
  s.out.push_back({std::move(bytes), binary});
  if (!s.open || !s.wsi)
    return;
  // Nothing ahead of it and the socket took every earlier write whole: send now rather
  // than a poll round later (one syscall instead of three per 20 ms frame). lws keeps
  // and flushes any part the socket does not take, so later writes wait for WRITEABLE.
  if (s.out.size() == 1 && !lws_partial_buffered(s.wsi)) {
    if (!stt_write_front(s))
      lws_set_timeout(s.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return;
  }
  lws_callback_on_writable(s.wsi);
}

} // namespace sb::net
