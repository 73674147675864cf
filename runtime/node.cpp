#include "runtime/node.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/call_actor.hpp"
#include "actors/pool_actor.hpp"
#include "actors/pool_front.hpp"
#include "messages/atoms.hpp"
#include "messages/register.hpp"
#include "net/admission/admission_control.hpp"
#include "net/io/io_loop.hpp"
#include "net/admission/phone_access.hpp"
#include "net/codec/audio_codec.hpp"
#include "runtime/auth_env.hpp"
#include "runtime/aws_lifecycle.hpp"
#include "runtime/call_records.hpp"
#include "runtime/cluster/cluster_node.hpp"
#include "runtime/emf.hpp"
#include "runtime/cluster/coordinator_node.hpp"
#include "runtime/metrics.hpp"
#include "runtime/sessions.hpp"
#include "runtime/store_health.hpp"
#include "runtime/transcripts.hpp"
#include "runtime/offline_providers.hpp"
#include "runtime/pools.hpp"

namespace sb {

namespace {

using steady = std::chrono::steady_clock;

exhausted_action action_of(const std::string& s) {
  return s == "end" ? exhausted_action::end
         : s == "hold" ? exhausted_action::hold
                       : exhausted_action::wait;
}

// 300 ms of a soft 660 Hz tone: what `hold` plays while a call waits for STT.
audio_bytes hold_tone() {
  audio_bytes out(2400);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = codec::linear_to_mulaw(static_cast<int16_t>(
      4000.0 * std::sin(2 * M_PI * 660.0 * static_cast<double>(i) / 8000.0)));
  return out;
}

struct node_pools {
  pool_actor stt;
  pool_actor llm;
  pool_actor tts;
  pool_actor stt_fallback;  // invalid when [stt] fallback is not set
  pool_actor tts_fallback;
};

call_settings make_settings(const node_config& cfg, const node_pools& pools) {
  call_settings s;
  s.system_prompt = cfg.llm.system_prompt;
  s.max_history = cfg.llm.max_history;
  s.greeting = cfg.call.greeting;
  s.goodbye = cfg.call.goodbye;
  s.barge_in_on_vad = cfg.call.barge_in == "vad";
  s.tts_streaming = cfg.tts.transport == "websocket";
  s.max_duration = cfg.call.max_duration;
  s.start_timeout = cfg.call.start_timeout;
  s.max_tokens = cfg.llm.max_tokens;
  s.stt_buffer = cfg.call.stt_buffer;
  s.stt_buffer_silence = cfg.call.stt_buffer_silence;
  s.hold_audio = std::make_shared<const audio_bytes>(hold_tone());
  s.stt = {pools.stt, cfg.pool_stt.queue_timeout, action_of(cfg.pool_stt.on_exhausted)};
  s.llm = {pools.llm, cfg.pool_llm.queue_timeout, action_of(cfg.pool_llm.on_exhausted)};
  s.tts = {pools.tts, cfg.pool_tts.queue_timeout, action_of(cfg.pool_tts.on_exhausted)};
  if (pools.stt_fallback)
    s.stt_fallback = call_pool{pools.stt_fallback, cfg.pool_stt_fallback.queue_timeout,
                               action_of(cfg.pool_stt_fallback.on_exhausted)};
  if (pools.tts_fallback)
    s.tts_fallback = call_pool{pools.tts_fallback, cfg.pool_tts_fallback.queue_timeout,
                               action_of(cfg.pool_tts_fallback.on_exhausted)};
  return s;
}

// Connections waiting for start, refusals by reason, and the edge's protective closes.
// Refusals of credentials by reason (telephony upgrades and operator routes).
nlohmann::json auth_json(net::net_probe& p) {
  nlohmann::json refused = nlohmann::json::object();
  for (size_t i = 0; i < admission::auth_refusal_kinds; ++i)
    refused[admission::to_string(static_cast<admission::auth_refusal>(i))] =
      p.auth_refused[i].load();
  return {{"refused", refused}};
}

nlohmann::json admission_json(net::net_probe& p) {
  nlohmann::json refused = nlohmann::json::object();
  for (size_t i = 0; i < admission::refusal_kinds; ++i)
    refused[admission::to_string(static_cast<admission::refusal>(i))] = p.refused[i].load();
  return {{"pending", p.pending.load()},
          {"refused", refused},
          {"closed",
           {{"no_start", p.closed_no_start.load()},
            {"message_size", p.closed_message_size.load()},
            {"frame_rate", p.closed_frame_rate.load()},
            {"slow_reader", p.closed_slow_reader.load()}}},
          {"send_buffer_peak_bytes", p.send_buffer_peak.load()}};
}

// Live call actors by session (added at spawn, removed when the actor is gone).
class live_call_set {
public:
  void add(session_id s, caf::actor a) {
    std::lock_guard<std::mutex> g{m_};
    calls_[s] = std::move(a);
  }
  void remove(session_id s) {
    std::lock_guard<std::mutex> g{m_};
    calls_.erase(s);
  }
  template <class F>
  void each(F f) {
    std::vector<caf::actor> all;
    {
      std::lock_guard<std::mutex> g{m_};
      for (auto& [s, a] : calls_)
        all.push_back(a);
    }
    for (auto& a : all)
      f(a);
  }

private:
  std::mutex m_;
  std::unordered_map<session_id, caf::actor> calls_;
};

nlohmann::json transcripts_json(const transcript_service& t) {
  auto& p = *t.probe;
  return {{"store", t.where},
          {"entries_written", p.entries_written.load()},
          {"calls_written", p.calls_written.load()},
          {"batches", p.batches.load()},
          {"write_failures", p.write_failures.load()},
          {"dropped", p.dropped.load()},
          {"buffered", p.buffered.load()},
          {"last_error", p.last_error()}};
}

nlohmann::json sessions_json(const session_service& s) {
  auto& p = *s.probe;
  return {{"backend", s.where},
          {"live", p.live.load()},
          {"kept", p.kept.load()},
          {"writes", p.writes.load()},
          {"batches", p.batches.load()},
          {"write_failures", p.write_failures.load()},
          {"waiting", p.waiting.load()},
          {"dropped", p.dropped.load()},
          {"reads", p.reads.load()},
          {"found", p.found.load()},
          {"read_failures", p.read_failures.load()},
          {"last_error", p.last_error()}};
}

std::string stats_json(const node_config& cfg, node_metrics& m, net::io_loop& loop,
                       const pool_board& board, const cluster::cluster_board& members,
                       const transcript_service& transcripts, const session_service& sessions,
                       steady::time_point started) {
  auto lat = m.turn_latency_summary();
  auto uptime = std::chrono::duration<double>(steady::now() - started).count();
  return nlohmann::json{
    {"node", cfg.node.name},
    {"active_calls", m.active_calls()},
    {"max_calls", cfg.node.max_calls},
    {"sessions", loop.active_sessions()},
    {"draining", loop.draining()},
    {"admission", admission_json(loop.probe())},
    {"auth", auth_json(loop.probe())},
    {"provider_http",
     {{"requests", loop.probe().http_requests.load()},
      {"reused", loop.probe().http_reused.load()},
      {"retried", loop.probe().http_retried.load()}}},
    {"uptime_s", uptime},
    {"turn_latency_ms",
     {{"count", lat.count}, {"p50", lat.p50}, {"p90", lat.p90}, {"p99", lat.p99},
      {"max", lat.max}}},
    {"pools", nlohmann::json::parse(board.summary_json())},
    {"cluster", nlohmann::json::parse(members.json())},
    {"transcripts", transcripts_json(transcripts)},
    {"session_store", sessions_json(sessions)},
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
  // An idle worker polls briefly, then sleeps on its condition variable (woken by the
  // next enqueue). CAF's default middle phase wakes every 50 us for 25 ms after each
  // job: at call rates that never ends, and costs more CPU than the calls themselves.
  acfg.set("work-stealing.aggressive-poll-attempts", size_t{20});
  acfg.set("work-stealing.moderate-poll-attempts", size_t{0});
  register_types(acfg);
  cluster::configure_system(acfg, cfg.cluster);
  caf::actor_system sys{acfg};
  // [stt] sphinx, [llm] scripted, [tts] espeak: on this machine, behind the same ports.
  offline_providers offline;
  {
    std::string err;
    if (!offline.start(sys, cfg, err)) {
      spdlog::error("{}", err);
      return 1;
    }
  }

  // Every call's record and transcript ([store], [batcher]; runtime/transcripts.hpp).
  transcript_service transcripts;
  {
    std::string err;
    if (!start_transcripts(sys, cfg, transcripts, err)) {
      spdlog::error("{}", err);
      return 1;
    }
  }
  // Every call's snapshot, so a stream that comes back resumes ([sessions]).
  session_service sessions;
  start_sessions(sys, cfg, sessions);

  // One home per pool at a time when [cluster] coordinator is set (its health shows in
  // the cluster object of /health and /api/v1/stats).
  cluster::cluster_runtime crt;
  auto coordinator = cluster::start_coordinator(sys, cfg, crt.board);
  // The offline providers need no key (their pools have the one "no-key").
  auto stt_keys = cfg.stt.provider == "sphinx" ? provider_key_set{}
                                               : keys_from_env(cfg.stt.api_key_env);
  auto llm_keys = cfg.llm.provider == "scripted" ? provider_key_set{}
                                                 : keys_from_env(cfg.llm.api_key_env);
  auto tts_keys = cfg.tts.provider == "espeak" ? provider_key_set{}
                                               : keys_from_env(cfg.tts.api_key_env);
  // One front per pool: calls talk to it as to a pool; it takes leases from the pool's
  // home node in the cluster (actors/pool_front.hpp).
  // This process' incarnation: in the membership and in every lease message.
  auto incarnation = cluster::random_incarnation();
  auto front = [&](const char* name, provider_kind kind, const pool_section& ps,
                   const breaker_section& bs, const provider_key_set& keys) {
    pool_front_config fc{make_pool_config(name, kind, ps, bs, keys.labels),
                         ps.local_share, cfg.node.name, !cfg.cluster.seeds.empty(),
                         cfg.cluster.lease_ttl, cfg.cluster.lease_renew_interval,
                         cfg.cluster.lease_margin, coordinator};
    // A home stalled this long may have been declared down (after failure_timeout,
    // counted from its last heartbeat) and replaced.
    fc.stall_limit = cfg.cluster.failure_timeout - cfg.cluster.heartbeat_interval;
    fc.incarnation = incarnation;
    fc.static_share = cfg.cluster.static_shares();
    return spawn_pool_front(sys, std::move(fc));
  };
  pool_fronts fronts{{"stt", "llm", "tts"},
                     {front("stt", provider_kind::stt, cfg.pool_stt, cfg.breaker_stt, stt_keys),
                      front("llm", provider_kind::llm, cfg.pool_llm, cfg.breaker_llm, llm_keys),
                      front("tts", provider_kind::tts, cfg.pool_tts, cfg.breaker_tts, tts_keys)}};
  node_pools pools;
  pools.stt = fronts.fronts[0];  // a front is a pool (its interface extends the pool's)
  pools.llm = fronts.fronts[1];
  pools.tts = fronts.fronts[2];
  // A fallback provider has its own keys and its own pool (its account's limits).
  provider_key_set stt_fb_keys, tts_fb_keys;
  auto add_fallback = [&](const char* name, provider_kind kind, const std::string& key_env,
                          const pool_section& ps, const breaker_section& bs,
                          provider_key_set& keys, pool_actor& out) {
    keys = keys_from_env(key_env);
    fronts.names.push_back(name);
    fronts.fronts.push_back(front(name, kind, ps, bs, keys));
    out = fronts.fronts.back();
  };
  if (!cfg.stt.fallback.empty())
    add_fallback("stt_fallback", provider_kind::stt, cfg.stt_fallback.api_key_env,
                 cfg.pool_stt_fallback, cfg.breaker_stt_fallback, stt_fb_keys,
                 pools.stt_fallback);
  if (!cfg.tts.fallback.empty())
    add_fallback("tts_fallback", provider_kind::tts, cfg.tts_fallback.api_key_env,
                 cfg.pool_tts_fallback, cfg.breaker_tts_fallback, tts_fb_keys,
                 pools.tts_fallback);
  std::vector<pool_actor> all_pools{pools.stt, pools.llm, pools.tts};
  for (auto& p : {pools.stt_fallback, pools.tts_fallback})
    if (p)
      all_pools.push_back(p);
  auto board = std::make_shared<pool_board>();
  auto poller = spawn_pool_poller(
    sys, all_pools, board,
    [metrics](const std::vector<pool_stats>& s) { metrics->pools(s); },
    std::chrono::milliseconds{500});
  // The cluster: membership, load view, debug console (runtime/cluster, runtime/console).
  auto draining = std::make_shared<std::atomic<bool>>(false);
  cluster::cluster_deps cdeps{[metrics] { return metrics->active_calls(); },
                              [draining] { return draining->load(); },
                              all_pools,
                              [] { kill(getpid(), SIGTERM); },
                              fronts,
                              incarnation,
                              transcripts.writer};
  // Stops every actor started above (after stop_transcripts on a normal exit; on a failed
  // start there is nothing to write yet).
  auto stop_actors = [&] {
    cluster::stop_cluster(sys, crt);
    for (auto& p : all_pools)
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(poller, caf::exit_reason::user_shutdown);
    if (coordinator)  // gives up the home leases it holds
      caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(transcripts.batcher, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(transcripts.writer, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sessions.store, caf::exit_reason::user_shutdown);
    if (sessions.writer)
      caf::anon_send_exit(sessions.writer, caf::exit_reason::user_shutdown);
    offline.stop();  // its synthesiser's actor, else await_all_actors_done waits forever
  };
  std::string cluster_err;
  if (!cluster::start_cluster(sys, cfg, std::move(cdeps), crt, cluster_err)) {
    spdlog::error("{}", cluster_err);
    stop_actors();
    return 1;
  }
  // Call actors alive (until their last stream closed); the pool fronts start and stop
  // engines at any time, so counting all actors would not tell.
  auto live_calls = std::make_shared<std::atomic<int64_t>>(0);
  // The same calls by session, to end them at shutdown (reason `shutdown`).
  auto live_registry = std::make_shared<live_call_set>();

  std::unique_ptr<net::io_loop> loop;
  net::io_options io;
  io.node_name = cfg.node.name;
  io.listen = cfg.node.listen;
  io.max_calls = cfg.node.max_calls;
  io.admission = cfg.admission;
  io.http_listen = cfg.http.listen;
  {
    std::string auth_err;
    if (!load_edge_auth(cfg, io.auth, auth_err)) {
      spdlog::error("{}", auth_err);
      stop_actors();
      return 1;
    }
  }
  const bool phone = admission::phone_served(cfg.http.phone, cfg.node.listen.host);
  io.auth.phone = phone;
  io.start_timeout = cfg.call.start_timeout;
  io.send_ahead = cfg.call.send_ahead;
  io.stt = cfg.stt;
  io.llm = cfg.llm;
  io.tts = cfg.tts;
  io.stt_fallback = cfg.stt_fallback;
  io.tts_fallback = cfg.tts_fallback;
  io.keys = {stt_keys.values, llm_keys.values, tts_keys.values, stt_fb_keys.values,
             tts_fb_keys.values};
  io.stt_buffer = cfg.call.stt_buffer;
  io.probe = &metrics->net();
  auto settings = make_settings(cfg, pools);
  if (!offline.greeting().empty())
    settings.greeting = offline.greeting();  // the dialog's start state speaks first
  std::shared_ptr<telephony_port> call_telephony;
  std::shared_ptr<provider_port> call_providers;
  io.spawn_call = [&sys, &call_telephony, &call_providers, metrics, settings, live_calls, calls = crt.calls,
                   batcher = transcripts.batcher, store = sessions.store, node = cfg.node.name,
                   registry = live_registry](const call_spawn_info& info) {
    auto call =
      spawn_call(sys, call_deps{info, call_telephony, call_providers, metrics, settings,
                                batcher, store, node});
    caf::anon_send(calls, caf::put_atom_v, info.session, call);  // for the console
    ++*live_calls;
    registry->add(info.session, call);
    call->attach_functor([live_calls, registry, s = info.session] {
      --*live_calls;
      registry->remove(s);
    });
    return call;
  };
  io.stats_json = [&cfg, &loop, metrics, board, members = crt.board, &transcripts, &sessions,
                   started] {
    return stats_json(cfg, *metrics, *loop, *board, *members, transcripts, sessions, started);
  };
  io.cluster_json = [members = crt.board] { return members->json(); };
  io.pool_stats_json = [board] { return board->detail_json(); };
  io.degraded = [board] { return board->degraded(); };
  // /health: a configured coordinator that is slow is "degraded", one that cannot be
  // reached is "error" (503), with the coordinator actor's reason.
  if (!cfg.cluster.coordinator.empty())
    io.backends.push_back([members = crt.board] {
      auto c = members->coordinator();
      auto state = c.state == "error"      ? net::backend_state::unreachable
                   : c.state == "degraded" ? net::backend_state::slow
                                           : net::backend_state::ok;
      return net::backend_health{"coordinator", state, c.reason};
    });
  // The transcript store and (in Redis) the session backend: slow or failing writes are
  // "degraded", failing for 10 s "error" (runtime/store_health.hpp).
  io.backends.push_back([&transcripts] {
    auto& p = *transcripts.probe;
    return store_health({"transcripts", transcripts.where, steady_now_ms(),
                         p.failing_since_ms.load(), p.inflight_since_ms.load(),
                         p.buffered.load(), p.last_error(),
                         transcripts.where.rfind("sqlite:", 0) != 0});
  });
  if (sessions.writer)
    io.backends.push_back([&sessions] {
      auto& p = *sessions.probe;
      return store_health({"sessions", sessions.where, steady_now_ms(),
                           p.failing_since_ms.load(), p.inflight_since_ms.load(),
                           p.waiting.load(), p.last_error(), true});
    });
  io.metrics_text = [metrics] { return metrics->prometheus_text(); };
  io.call_records = [&sys, writer = transcripts.writer](
                      const std::string& path, const std::map<std::string, std::string>& query,
                      std::function<void(unsigned, std::string)> answer) {
    serve_call_records(sys, writer, path, query, std::move(answer));
  };
  for (auto [name, keys, env] : {std::tuple{"stt", &io.keys.stt, &cfg.stt.api_key_env},
                                 {"llm", &io.keys.llm, &cfg.llm.api_key_env},
                                 {"tts", &io.keys.tts, &cfg.tts.api_key_env}})
    if (keys->empty() && !offline.offline(name))
      spdlog::warn("{}: no API key in ${}: calls will fail to use it", name, *env);

  loop = std::make_unique<net::io_loop>(std::move(io));
  call_telephony = offline.telephony(loop->telephony_port_handle());
  call_providers = offline.providers(loop->provider_port_handle());
  std::string err;
  emf_reporter emf{cfg.metrics, cfg.node.name, [metrics] { return metrics->active_calls(); }};
  if (!emf.start(err)) {
    spdlog::error("{}", err);
    stop_actors();
    return 1;
  }
  if (!loop->start(err)) {
    spdlog::error("{}", err);
    stop_actors();
    return 1;
  }
  spdlog::info("node {} listening on {}:{} (stt {}, llm {}, tts {})", cfg.node.name,
               cfg.node.listen.host, loop->port(), cfg.stt.provider, cfg.llm.provider,
               cfg.tts.provider);
  if (!opts.port_file.empty() && !write_port_file(opts.port_file, loop->port()))
    spdlog::error("cannot write port file {}", opts.port_file);
  if (phone)
    spdlog::info("softphone on http://{}:{}/phone{}", cfg.node.listen.host, loop->port(),
                 cfg.http.token_env.empty() ? "" : "?token=... ([http] token_env)");
  if (cfg.http.separate()) {
    spdlog::info("operator HTTP routes on {}:{}{}", cfg.http.listen.host, loop->http_port(),
                 cfg.http.token_env.empty() ? "" : " (bearer token required)");
    if (!opts.http_port_file.empty() &&
        !write_port_file(opts.http_port_file, loop->http_port()))
      spdlog::error("cannot write port file {}", opts.http_port_file);
  }

  // [aws] lifecycle: a scale-in or a Spot notice drains the node as SIGTERM does.
  lifecycle_watcher aws{cfg.aws, [metrics] { return metrics->active_calls(); },
                        [] { kill(getpid(), SIGTERM); }};
  aws.start();
  while (!wait_signal(sigs, std::chrono::milliseconds{1000})) {
  }
  // Drain: refuse new calls, let active ones finish up to drain_timeout.
  spdlog::info("draining: {} active calls, up to {} ms", loop->active_sessions(),
               cfg.node.drain_timeout.count());
  loop->drain();
  draining->store(true);
  auto deadline = steady::now() + cfg.node.drain_timeout;
  bool fast = false;  // a second signal: no more waiting for calls, but still every write
  while (loop->active_sessions() > 0 && steady::now() < aws.drain_deadline(deadline)) {
    if (wait_signal(sigs, std::chrono::milliseconds{100})) {
      spdlog::warn("second signal: stopping now (no goodbyes; what is stored is still written)");
      fast = true;
      break;
    }
  }
  // The drain time is over: the calls still up end now (after their goodbye, [call]
  // goodbye), each recording why, while the I/O loop still carries their goodbye, their
  // close and their providers' CloseStream.
  if (live_calls->load() > 0) {
    spdlog::info("ending {} calls still active{}", live_calls->load(),
                 fast ? " at once" : ", after their goodbye");
    auto end_all = [&](bool at_once) {
      live_registry->each(
        [at_once](const caf::actor& c) { caf::anon_send(c, call_shutdown_atom_v, at_once); });
    };
    end_all(fast);
    // The goodbye is bounded at 10 s in the call actor.
    // A call takes at most its goodbye (10 s) and then its ending wait (5 s).
    auto end_deadline = steady::now() + (fast ? std::chrono::seconds{2} : std::chrono::seconds{16});
    while (live_calls->load() > 0 && steady::now() < end_deadline) {
      if (wait_signal(sigs, std::chrono::milliseconds{20}) && !fast) {
        spdlog::warn("second signal: ending the calls at once, without their goodbye");
        fast = true;
        end_all(true);
        end_deadline = std::min(end_deadline, steady::now() + std::chrono::seconds{2});
      }
    }
  }
  loop->stop(std::chrono::milliseconds{2000});
  // Calls end (their sessions and provider streams are closed) before the pools they
  // return leases to.
  auto calls_deadline =
    steady::now() + (fast ? std::chrono::seconds{3} : std::chrono::seconds{10});
  while (live_calls->load() > 0 && steady::now() < calls_deadline)
    wait_signal(sigs, std::chrono::milliseconds{50});
  // Every call has reported its end: what the batcher and the session store hold is
  // written before exit.
  stop_transcripts(sys, transcripts, std::chrono::seconds{10});
  stop_sessions(sys, sessions, std::chrono::seconds{5});
  // Planned leave: a pool this node is the home of goes to its successor with its lease
  // table before the node says it leaves (docs/design/cluster-leases.md, H15).
  cluster::hand_over_pools(sys, fronts.fronts);
  stop_actors();
  sys.await_all_actors_done();
  aws.finish();  // drained, written, left: the lifecycle action completes
  spdlog::info("node {} stopped", cfg.node.name);
  if (crt.refused_flag->load()) {
    spdlog::error("exiting: {}", *crt.refused);
    return 1;
  }
  return 0;
}

} // namespace sb
