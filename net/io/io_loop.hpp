// The network I/O thread: one libwebsockets context serving the telephony WebSockets and
// HTTP routes, and the client connections to providers. Only this thread touches lws
// objects; other threads hand it work with post(), which wakes it via lws_cancel_service.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "messages/config.hpp"
#include "messages/ports.hpp"
#include "net/admission/credentials.hpp"
#include "net/io/health.hpp"
#include "net/io/net_probe.hpp"

struct lws;
struct lws_context;
struct lws_vhost;

namespace sb::lwsloop {
class event_loop;
}

namespace sb::net {

class telephony_server;
class provider_hub;
class http_routes;
class http_slots;

// API keys per provider, in the order of the pool's key labels (never logged).
struct provider_keys {
  std::vector<std::string> stt;
  std::vector<std::string> llm;
  std::vector<std::string> tts;
  std::vector<std::string> stt_fallback;
  std::vector<std::string> tts_fallback;
};

// Who may use the node's endpoints (net/admission/credentials.hpp): telephony upgrades
// per dialect, and the operator HTTP routes. Secrets only, read from the environment.
struct edge_auth {
  admission::auth_mode twilio = admission::auth_mode::none;
  admission::auth_mode exotel = admission::auth_mode::none;
  admission::auth_secrets secrets;
  std::string http_token;  // "" = /api/v1/stats, /api/v1/stats/pool, /metrics open
  // GET /phone is served on `listen` ([http] phone resolved). Then http_token, when set,
  // guards the page and also opens /ws/twilio as ?phone_token=, whatever `twilio` says.
  bool phone = false;
};

struct io_options {
  std::string node_name = "node-1";
  host_port listen{"127.0.0.1", 8080};
  uint32_t max_calls = 2000;
  admission_section admission;               // limits of the telephony edge
  edge_auth auth;
  // The operator HTTP routes on their own address; host "" = on `listen` with the rest.
  host_port http_listen{"", 0};
  millis start_timeout{2000};                // upgrade -> start event, else closed 1008
  millis send_ahead{400};                    // [call] send_ahead: reply audio's lead
  stt_section stt;
  llm_section llm;
  tts_section tts;
  stt_section stt_fallback;  // used when stt.fallback is set
  tts_section tts_fallback;  // used when tts.fallback is set
  provider_keys keys;
  const stt_section& stt_of(provider_route r) const {
    return r == provider_route::fallback ? stt_fallback : stt;
  }
  const tts_section& tts_of(provider_route r) const {
    return r == provider_route::fallback ? tts_fallback : tts;
  }
  const std::vector<std::string>& keys_of(provider_kind k, provider_route r) const {
    bool fb = r == provider_route::fallback;
    return k == provider_kind::stt   ? (fb ? keys.stt_fallback : keys.stt)
           : k == provider_kind::tts ? (fb ? keys.tts_fallback : keys.tts)
                                     : keys.llm;
  }
  millis stt_buffer{2000};
  call_factory spawn_call;                   // required
  std::function<std::string()> stats_json;   // GET /api/v1/stats body (optional)
  std::function<std::string()> pool_stats_json;  // GET /api/v1/stats/pool (optional)
  // Why the node is degraded (a pool's breaker not closed, a pool over 90 %); empty
  // when it is not. Part of /health (net/io/health.hpp).
  std::function<std::vector<std::string>()> degraded;
  // Configured backends /health depends on (session store, cluster coordinator): each
  // says ok, slow (degraded, 200) or unreachable (error, 503). Their owners add one
  // check each when the backend is configured; none by default.
  std::vector<backend_check> backends;
  std::function<std::string()> metrics_text; // GET /metrics body (optional)
  // GET /api/v1/calls[/ID][?query]: answered later, from another thread, through
  // `answer(status, json)`; the I/O thread never waits for the store (optional).
  std::function<void(const std::string& path, const std::map<std::string, std::string>& query,
                     std::function<void(unsigned, std::string)> answer)>
    call_records;
  std::function<std::string()> cluster_json; // "cluster" object of /health (optional)
  net_probe* probe = nullptr;                // optional
};

using steady_time = std::chrono::steady_clock::time_point;

class io_loop {
public:
  explicit io_loop(io_options opts);
  ~io_loop();
  io_loop(const io_loop&) = delete;
  io_loop& operator=(const io_loop&) = delete;

  // Creates the context, binds the listen port and starts the I/O thread.
  bool start(std::string& error);
  // Port actually bound (differs from the configured one when that was 0).
  uint16_t port() const { return port_; }
  // Port of the operator HTTP routes' own listener (0 when they share `listen`).
  uint16_t http_port() const { return http_port_; }
  // The vhost of that listener (nullptr when there is none; I/O thread).
  lws_vhost* ops_vhost() const { return ops_vhost_; }

  // Stops admitting calls; /health answers 503 "draining".
  void drain() { draining_ = true; }
  bool draining() const { return draining_; }
  // Closes every telephony session (1001), waits up to `grace`, stops the thread.
  void stop(millis grace = millis{2000});

  // Runs fn on the I/O thread. Returns false when the loop is gone (fn dropped).
  bool post(std::function<void()> fn);

  std::shared_ptr<telephony_port> telephony_port_handle();
  std::shared_ptr<provider_port> provider_port_handle();

  size_t active_sessions() const { return active_sessions_; }
  const io_options& options() const { return opts_; }
  net_probe& probe() { return *probe_; }

  // Used by the lws callbacks (I/O thread only).
  lws_context* context() const { return ctx_; }
  // The client connections of a provider: its TLS trust is that provider's `ca_file`, or
  // the system's trust store; LLM and TTS requests keep connections alive in slots.
  http_slots& client_slots(provider_kind k, provider_route r = provider_route::primary) {
    auto& s = client_slots_[static_cast<int>(k)][static_cast<int>(r)];
    return s ? *s : *client_slots_[static_cast<int>(k)][0];
  }
  telephony_server& telephony() { return *telephony_; }
  provider_hub& providers() { return *providers_; }
  http_routes& routes() { return *routes_; }
  void run_posted();
  void on_tick();
  // sb-telephony is initialised on the listening vhost (its PROTOCOL_INIT): start() waits
  // for it.
  void telephony_bound();
  bool stopping() const { return stopping_; }
  std::atomic<size_t> active_sessions_{0};

private:
  void run();

  io_options opts_;
  net_probe own_probe_;
  net_probe* probe_;
  lws_context* ctx_ = nullptr;
  std::unique_ptr<http_slots> client_slots_[3][2];  // [kind][route]
  int handshake_secs() const;  // admission.handshake_timeout in whole seconds, at least 1
  bool create_client_vhosts(std::string& error);
  std::unique_ptr<lwsloop::event_loop> uv_;
  uint16_t port_ = 0;
  lws_vhost* ops_vhost_ = nullptr;
  uint16_t http_port_ = 0;
  bool create_ops_vhost(std::string& error);
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> draining_{false};
  millis grace_{2000};

  std::mutex mutex_;
  std::condition_variable bound_cv_;
  bool telephony_bound_ = false;
  bool accepting_posts_ = false;
  std::deque<std::function<void()>> posted_;

  std::unique_ptr<telephony_server> telephony_;
  std::unique_ptr<provider_hub> providers_;
  std::unique_ptr<http_routes> routes_;
  struct tick_timer;
  std::unique_ptr<tick_timer> tick_;
};

} // namespace sb::net
