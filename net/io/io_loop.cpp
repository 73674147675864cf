#include "net/io/io_loop.hpp"

#include <cstring>

#include <libwebsockets.h>
#include <spdlog/spdlog.h>

#include "net/io/http_routes.hpp"
#include "net/io/http_slots.hpp"
#include "net/lws/event_loop.hpp"
#include "net/io/provider_hub.hpp"
#include "net/io/telephony_server.hpp"

namespace sb::net {

namespace {

constexpr lws_usec_t tick_us = 20 * LWS_US_PER_MS;

// libwebsockets' own messages go through the node's logger (JSON lines stay JSON).
void lws_to_spdlog(int level, const char* line) {
  std::string_view text{line};
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  spdlog::log(level & LLL_ERR ? spdlog::level::err : spdlog::level::warn, "lws: {}", text);
}

io_loop& loop_of(lws* wsi) {
  return *static_cast<io_loop*>(lws_context_user(lws_get_context(wsi)));
}

// protocols[0]: plain HTTP requests, and the one place posted work is drained.
int http_cb(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto& loop = loop_of(wsi);
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      loop.run_posted();
      return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return loop.telephony().confirm_upgrade(wsi);
    default:
      return loop.routes().callback(wsi, reason, user, in, len);
  }
}

int telephony_cb(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED)
    return 0;
  if (reason == LWS_CALLBACK_PROTOCOL_INIT) {
    // On the listening vhost: from now on an upgrade binds to sb-telephony.
    if (std::strcmp(lws_get_vhost_name(lws_get_vhost(wsi)), "default") == 0)
      loop_of(wsi).telephony_bound();
    return 0;
  }
  return loop_of(wsi).telephony().callback(wsi, reason, user, in, len);
}

int stt_client_cb(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED)
    return 0;
  return loop_of(wsi).providers().stt_callback(wsi, reason, user, in, len);
}

int http_client_cb(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED)
    return 0;
  return loop_of(wsi).providers().http_callback(wsi, reason, user, in, len);
}

// The operator routes' own listener ([http] listen): plain HTTP, no WebSockets.
int ops_http_cb(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto& loop = loop_of(wsi);
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      return 0;  // posted work runs in http_cb
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return reject_with_json(wsi, 404, "not_found",
                              "no WebSockets on [http] listen: calls go to [node] listen");
    default:
      return loop.routes().callback(wsi, reason, user, in, len);
  }
}

const lws_protocols ops_protocols[] = {
  {"http", ops_http_cb, sizeof(void*), 0, 0, nullptr, 0},
  {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

int tts_ws_client_cb(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED)
    return 0;
  return loop_of(wsi).providers().tts_ws_callback(wsi, reason, user, in, len);
}

// rx_buffer_size is each connection's own receive buffer (lws allocates it per WebSocket,
// for the connection's life) and the most one RECEIVE callback hands over: a longer message
// comes in pieces, which the handlers join. A Twilio media frame is about 330 bytes and a
// Deepgram result under 2 KB, so 1 and 2 KB make a call's two WebSockets 5 KB smaller
// than with lws's 4 KB each, at the cost of a copy for the rare longer message.
const lws_protocols protocols[] = {
  {"http", http_cb, sizeof(void*), 0, 0, nullptr, 0},
  {"sb-telephony", telephony_cb, sizeof(void*), 1024, 0, nullptr, 0},
  {"sb-stt-client", stt_client_cb, 0, 2048, 0, nullptr, 0},
  {"sb-http-client", http_client_cb, 0, 4096, 0, nullptr, 0},
  {"sb-tts-ws-client", tts_ws_client_cb, 0, 65536, 0, nullptr, 0},
  {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// Telephony clients send no Sec-WebSocket-Protocol: bind them to sb-telephony.
const lws_protocol_vhost_options pvo_default = {nullptr, nullptr, "default", ""};
const lws_protocol_vhost_options pvo = {nullptr, &pvo_default, "sb-telephony", ""};

} // namespace

struct io_loop::tick_timer {
  lws_sorted_usec_list_t sul;
  io_loop* loop;
  static void fire(lws_sorted_usec_list_t* s) {
    auto* self = lws_container_of(s, tick_timer, sul);
    self->loop->on_tick();
    lws_sul_schedule(self->loop->context(), 0, &self->sul, &tick_timer::fire, tick_us);
  }
};

io_loop::io_loop(io_options opts) : opts_(std::move(opts)) {
  probe_ = opts_.probe ? opts_.probe : &own_probe_;
  telephony_ = std::make_unique<telephony_server>(*this);
  providers_ = std::make_unique<provider_hub>(*this);
  routes_ = std::make_unique<http_routes>(*this);
  tick_ = std::make_unique<tick_timer>();
  std::memset(&tick_->sul, 0, sizeof tick_->sul);
  tick_->loop = this;
}

io_loop::~io_loop() { stop(millis{0}); }

bool io_loop::start(std::string& error) {
  lws_set_log_level(LLL_ERR, lws_to_spdlog);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = opts_.listen.port;
  info.iface = opts_.listen.host.c_str();
  info.protocols = protocols;
  info.pvo = &pvo;
  info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.user = this;
  info.timeout_secs = 10;
  // A connection is dropped if its HTTP request (the upgrade) is not complete this long
  // after it was accepted, however slowly its bytes trickle in (lws starts the clock when
  // it gives the connection its header table, at accept, and does not restart it).
  info.timeout_secs_ah_idle = handshake_secs();
  info.max_http_header_pool = 0;  // as many as fds: streaming client replies hold one
  info.fd_limit_per_thread = 0;
  uv_ = std::make_unique<lwsloop::event_loop>();
  uv_->configure(info);
  ctx_ = lws_create_context(&info);
  if (!ctx_) {
    error = "cannot listen on " + opts_.listen.host + ":" + std::to_string(opts_.listen.port);
    return false;
  }
  port_ = static_cast<uint16_t>(lws_get_vhost_listen_port(lws_get_vhost_by_name(ctx_, "default")));
  if (!create_client_vhosts(error) || !create_ops_vhost(error)) {
    lws_context_destroy(ctx_);
    ctx_ = nullptr;
    return false;
  }
  {
    std::lock_guard<std::mutex> g{mutex_};
    accepting_posts_ = true;
  }
  lws_sul_schedule(ctx_, 0, &tick_->sul, &tick_timer::fire, tick_us);
  thread_ = std::thread([this] { run(); });
  // lws 4.1 initialises the vhosts' protocols on its loop's first turn, not in
  // lws_create_context; until then the listening vhost has no default protocol, and an
  // upgrade accepted that early was bound to protocols[0] (plain HTTP): it got its 101,
  // and then every frame of the call was dropped unseen. The node reports its port (and
  // takes calls) only once sb-telephony is the default.
  std::unique_lock<std::mutex> g{mutex_};
  if (!bound_cv_.wait_for(g, std::chrono::seconds{10}, [this] { return telephony_bound_; })) {
    g.unlock();
    error = "libwebsockets did not initialise the telephony protocol within 10 s";
    stop(millis{0});
    return false;
  }
  return true;
}

void io_loop::telephony_bound() {
  {
    std::lock_guard<std::mutex> g{mutex_};
    telephony_bound_ = true;
  }
  bound_cv_.notify_all();
}

int io_loop::handshake_secs() const {
  const auto ms = opts_.admission.handshake_timeout.count();
  return static_cast<int>(std::max<int64_t>(1, (ms + 999) / 1000));
}

bool io_loop::create_client_vhosts(std::string& error) {
  // One client vhost (or set of keep-alive slots) per provider, so each verifies its
  // servers against its own CA bundle, or the system's trust store when it has none.
  // STT streams last the whole call: nothing to keep alive between them.
  auto make = [&](provider_kind k, provider_route r, const char* name, const std::string& ca,
                  millis keep_alive) {
    auto& s = client_slots_[static_cast<int>(k)][static_cast<int>(r)];
    s = std::make_unique<http_slots>(ctx_, protocols, name, ca, keep_alive);
    return s->init(error);
  };
  using K = provider_kind;
  using R = provider_route;
  return make(K::stt, R::primary, "stt-client", opts_.stt.ca_file, millis{0}) &&
         make(K::llm, R::primary, "llm-client", opts_.llm.ca_file, opts_.llm.keep_alive) &&
         make(K::tts, R::primary, "tts-client", opts_.tts.ca_file, opts_.tts.keep_alive) &&
         (opts_.stt.fallback.empty() ||
          make(K::stt, R::fallback, "stt-fallback-client", opts_.stt_fallback.ca_file,
               millis{0})) &&
         (opts_.tts.fallback.empty() ||
          make(K::tts, R::fallback, "tts-fallback-client", opts_.tts_fallback.ca_file,
               opts_.tts_fallback.keep_alive));
}

bool io_loop::create_ops_vhost(std::string& error) {
  if (opts_.http_listen.host.empty())
    return true;
  lws_context_creation_info vi;
  std::memset(&vi, 0, sizeof vi);
  vi.vhost_name = "ops";
  vi.port = opts_.http_listen.port;
  vi.iface = opts_.http_listen.host.c_str();
  vi.protocols = ops_protocols;
  vi.timeout_secs_ah_idle = handshake_secs();
  ops_vhost_ = lws_create_vhost(ctx_, &vi);
  if (!ops_vhost_) {
    error = "cannot listen on " + opts_.http_listen.host + ":" +
            std::to_string(opts_.http_listen.port) + " ([http] listen)";
    return false;
  }
  http_port_ = static_cast<uint16_t>(lws_get_vhost_listen_port(ops_vhost_));
  return true;
}

void io_loop::run() {
  steady_time deadline = steady_time::max();
  bool closing = false;
  while (true) {
    if (stopping_ && !closing) {
      closing = true;
      deadline = std::chrono::steady_clock::now() + grace_;
      telephony_->close_all(1001, "node shutting down");
      providers_->cancel_all();
    }
    if (closing && (telephony_->empty() || std::chrono::steady_clock::now() > deadline))
      break;
    uv_->run_once();
  }
  std::deque<std::function<void()>> dropped;
  {
    // From here on no other thread touches the context (post() and stop() read
    // `accepting_posts_` under this mutex first).
    std::lock_guard<std::mutex> g{mutex_};
    accepting_posts_ = false;
    dropped.swap(posted_);
  }
  dropped.clear();  // outside the mutex: a closure's destructor may call post()
  lws_sul_cancel(&tick_->sul);
  uv_->destroy(ctx_);
  ctx_ = nullptr;
}

void io_loop::stop(millis grace) {
  if (!thread_.joinable())
    return;
  grace_ = grace;
  stopping_ = true;
  {
    // The I/O thread may have seen `stopping_` already (a post or its tick woke it) and
    // be leaving its loop: it clears `accepting_posts_` under this mutex before it
    // destroys the context, so the context is alive while that flag is set.
    std::lock_guard<std::mutex> g{mutex_};
    if (accepting_posts_)
      lws_cancel_service(ctx_);
  }
  thread_.join();
}

bool io_loop::post(std::function<void()> fn) {
  std::lock_guard<std::mutex> g{mutex_};
  if (!accepting_posts_)
    return false;
  posted_.push_back(std::move(fn));
  if (posted_.size() == 1)
    lws_cancel_service(ctx_);
  return true;
}

void io_loop::run_posted() {
  std::deque<std::function<void()>> work;
  {
    std::lock_guard<std::mutex> g{mutex_};
    work.swap(posted_);
  }
  for (auto& fn : work)
    fn();
}

void io_loop::on_tick() {
  telephony_->on_tick();
  providers_->on_tick();
}

std::shared_ptr<telephony_port> io_loop::telephony_port_handle() {
  return telephony_->port_handle();
}

std::shared_ptr<provider_port> io_loop::provider_port_handle() {
  return providers_->port_handle();
}

} // namespace sb::net
