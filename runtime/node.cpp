#include "runtime/node.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/call_actor.hpp"
#include "messages/register.hpp"
#include "net/io/io_loop.hpp"
#include "runtime/metrics.hpp"

namespace sb {

namespace {

using steady = std::chrono::steady_clock;

// The key named by api_key_env: the first of the listed variables that is set.
std::string key_from_env(const std::string& names) {
  size_t from = 0;
  while (from <= names.size()) {
    auto to = names.find(',', from);
    auto name = names.substr(from, to == std::string::npos ? std::string::npos : to - from);
    if (const char* v = std::getenv(name.c_str()); v && *v)
      return v;
    if (to == std::string::npos)
      break;
    from = to + 1;
  }
  return "";
}

call_settings make_settings(const node_config& cfg) {
  call_settings s;
  s.system_prompt = cfg.llm.system_prompt;
  s.max_history = cfg.llm.max_history;
  s.greeting = cfg.call.greeting;
  s.max_duration = cfg.call.max_duration;
  s.start_timeout = cfg.call.start_timeout;
  return s;
}

std::string stats_json(const node_config& cfg, node_metrics& m, net::io_loop& loop,
                       steady::time_point started) {
  auto lat = m.turn_latency_summary();
  auto uptime = std::chrono::duration<double>(steady::now() - started).count();
  return nlohmann::json{
    {"node", cfg.node.name},
    {"active_calls", m.active_calls()},
    {"max_calls", cfg.node.max_calls},
    {"sessions", loop.active_sessions()},
    {"draining", loop.draining()},
    {"uptime_s", uptime},
    {"turn_latency_ms",
     {{"count", lat.count}, {"p50", lat.p50}, {"p90", lat.p90}, {"p99", lat.p99},
      {"max", lat.max}}},
    {"pools", nlohmann::json::object()},
  }
    .dump();
}

bool write_port_file(const std::string& path, uint16_t port) {
  auto tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    if (!(f << port << '\n'))
      return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// Waits for SIGTERM/SIGINT (blocked in every thread, see run_node) up to `timeout`.
bool wait_signal(const sigset_t& sigs, std::chrono::milliseconds timeout) {
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1000000)};
  return sigtimedwait(&sigs, nullptr, &ts) > 0;
}

} // namespace

int run_node(const node_config& cfg, const node_run_options& opts) {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);  // inherited by every thread started below
  std::signal(SIGPIPE, SIG_IGN);
  auto started = steady::now();

  auto metrics = std::make_shared<node_metrics>();
  caf::actor_system_config acfg;
  auto workers = std::max(2u, std::thread::hardware_concurrency());
  acfg.set("scheduler.max-threads", static_cast<size_t>(workers));
  register_types(acfg);
  caf::actor_system sys{acfg};

  std::unique_ptr<net::io_loop> loop;
  net::io_options io;
  io.node_name = cfg.node.name;
  io.listen = cfg.node.listen;
  io.max_calls = cfg.node.max_calls;
  io.stt = cfg.stt;
  io.llm = cfg.llm;
  io.tts = cfg.tts;
  io.keys = {key_from_env(cfg.stt.api_key_env), key_from_env(cfg.llm.api_key_env),
             key_from_env(cfg.tts.api_key_env)};
  io.stt_buffer = cfg.call.stt_buffer;
  io.probe = &metrics->net();
  auto settings = make_settings(cfg);
  io.spawn_call = [&sys, &loop, metrics, settings](const call_spawn_info& info) {
    return spawn_call(sys, call_deps{info, loop->telephony_port_handle(),
                                     loop->provider_port_handle(), metrics, settings});
  };
  io.stats_json = [&cfg, &loop, metrics, started] {
    return stats_json(cfg, *metrics, *loop, started);
  };
  io.metrics_text = [metrics] { return metrics->prometheus_text(); };
  for (auto [name, key, env] : {std::tuple{"stt", &io.keys.stt, &cfg.stt.api_key_env},
                                {"llm", &io.keys.llm, &cfg.llm.api_key_env},
                                {"tts", &io.keys.tts, &cfg.tts.api_key_env}})
    if (key->empty())
      spdlog::warn("{}: no API key in ${}: calls will fail to use it", name, *env);

  loop = std::make_unique<net::io_loop>(std::move(io));
  std::string err;
  if (!loop->start(err)) {
    spdlog::error("{}", err);
    return 1;
  }
  spdlog::info("node {} listening on {}:{} (stt {}, llm {}, tts {})", cfg.node.name,
               cfg.node.listen.host, loop->port(), cfg.stt.provider, cfg.llm.provider,
               cfg.tts.provider);
  if (!opts.port_file.empty() && !write_port_file(opts.port_file, loop->port()))
    spdlog::error("cannot write port file {}", opts.port_file);

  while (!wait_signal(sigs, std::chrono::milliseconds{1000})) {
  }
  // Drain: refuse new calls, let active ones finish up to drain_timeout.
  spdlog::info("draining: {} active calls, up to {} ms", loop->active_sessions(),
               cfg.node.drain_timeout.count());
  loop->drain();
  auto deadline = steady::now() + cfg.node.drain_timeout;
  while (loop->active_sessions() > 0 && steady::now() < deadline) {
    if (wait_signal(sigs, std::chrono::milliseconds{100})) {
      spdlog::warn("second signal: stopping now");
      break;
    }
  }
  loop->stop(std::chrono::milliseconds{2000});
  sys.await_all_actors_done();
  spdlog::info("node {} stopped", cfg.node.name);
  return 0;
}

} // namespace sb
