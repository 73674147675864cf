#include "tools/provider_sim/server.hpp"

#include <cstring>

#include <libwebsockets.h>
#include <nlohmann/json.hpp>

#include "tools/provider_sim/app.hpp"
#include "tools/provider_sim/http_glue.hpp"
#include "tools/provider_sim/ws_glue.hpp"

namespace sb::sim {

namespace {

constexpr lws_usec_t tick_us = 20 * LWS_US_PER_MS;
constexpr int64_t drain_us = 1'000'000;

const lws_protocols protocols[] = {
    {"http", http_callback, http_session_size, 0, 0, nullptr, 0},
    {"deepgram-listen", stt_ws_callback, ws_session_size, 4096, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// WebSocket clients send no Sec-WebSocket-Protocol: bind them to the STT protocol.
const lws_protocol_vhost_options pvo_default = {nullptr, nullptr, "default", ""};
const lws_protocol_vhost_options pvo = {nullptr, &pvo_default, "deepgram-listen", ""};

} // namespace

// The shared tick; lws hands back `sul`, lws_container_of finds the timer.
struct tick_timer {
  lws_sorted_usec_list_t sul;
  lws_context* ctx;
  sim_app* app;

  static void fire(lws_sorted_usec_list_t* sul) {
    auto* t = lws_container_of(sul, tick_timer, sul);
    int64_t now = now_us();
    http_tick(*t->app, now);
    stt_tick(*t->app, now);
    lws_sul_schedule(t->ctx, 0, &t->sul, &tick_timer::fire, tick_us);
  }
};

sim_server::sim_server(sim_config cfg)
    : app_(std::make_unique<sim_app>()), tick_(std::make_unique<tick_timer>()) {
  app_->services.cfg = std::move(cfg);
  app_->services.counters.set_release_lag(
      std::chrono::milliseconds{app_->services.cfg.release_lag_ms});
  std::memset(tick_.get(), 0, sizeof(tick_timer));
}

sim_server::~sim_server() {
  std::lock_guard<std::mutex> g{ctx_mutex_};
  if (ctx_) loop_.destroy(ctx_);
  ctx_ = nullptr;
}

bool sim_server::start(std::string& error) {
  const sim_config& cfg = app_->services.cfg;
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info); // C struct: zero it
  info.port = cfg.port;
  info.iface = (cfg.host == "0.0.0.0" || cfg.host == "*") ? nullptr : cfg.host.c_str();
  info.protocols = protocols;
  info.pvo = &pvo;
  info.user = app_.get();
  info.keepalive_timeout = 60;
  if (!cfg.tls_cert.empty()) {
    // Provider traffic is TLS; plain HTTP is also taken on the same port, so tests and
    // scripts reach /sim/stats and /sim/faults without a CA of their own.
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                    LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT |
                    LWS_SERVER_OPTION_ALLOW_HTTP_ON_HTTPS_LISTENER;
    info.ssl_cert_filepath = cfg.tls_cert.c_str();
    info.ssl_private_key_filepath = cfg.tls_key.c_str();
  }
  info.max_http_header_data = 8192;
  loop_.configure(info);
  lws_context* ctx = lws_create_context(&info);
  if (!ctx) {
    error = "cannot listen on " + cfg.host + ":" + std::to_string(cfg.port);
    return false;
  }
  {
    std::lock_guard<std::mutex> g{ctx_mutex_};
    ctx_ = ctx;
  }
  port_ = lws_get_vhost_listen_port(lws_get_vhost_by_name(ctx, "default"));
  tick_->ctx = ctx;
  tick_->app = app_.get();
  lws_sul_schedule(ctx, 0, &tick_->sul, &tick_timer::fire, tick_us);
  // The port is reported (port file) only once WebSocket upgrades bind to the STT
  // protocol: lws 4.1 initialises protocols on its loop's first turn.
  const int64_t bound_by = now_us() + 10'000'000;
  while (!app_->ws_bound && now_us() < bound_by) loop_.run_once();
  if (!app_->ws_bound) {
    error = "libwebsockets did not initialise the WebSocket protocol within 10 s";
    return false;
  }
  return true;
}

std::string sim_server::set_fault(const std::string& target, const std::string& mode) {
  return app_->services.faults.apply(nlohmann::json{{target, mode}});
}

void sim_server::run() {
  int64_t deadline = never;
  while (ctx_) {
    if (stop_ && deadline == never) { // give STT clients a 1001 close, ~1 s at most
      deadline = now_us() + drain_us;
      stt_drain(*app_, now_us());
    }
    bool idle = app_->stt_active.empty() && app_->tts_active.empty();
    if (deadline != never && (idle || now_us() >= deadline)) break;
    loop_.run_once();
  }
  std::lock_guard<std::mutex> g{ctx_mutex_};
  if (ctx_)
    loop_.destroy(ctx_); // closes every connection; their leases are released
  ctx_ = nullptr;
}

void sim_server::request_stop() {
  std::lock_guard<std::mutex> g{ctx_mutex_};
  stop_ = true;
  if (ctx_) lws_cancel_service(ctx_);
}

} // namespace sb::sim
