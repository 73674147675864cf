#include "runtime/sessions.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "net/redis/redis_session_store.hpp"

namespace sb {

void start_sessions(caf::actor_system& sys, const node_config& cfg, session_service& out) {
  session_settings ss;
  ss.ttl = cfg.sessions.ttl;
  std::string host;
  uint16_t port = 0;
  // redis://HOST:PORT, checked when the config was loaded. Unreachable now is no reason
  // not to start: snapshots wait (bounded) and /health says so.
  if (redis_connection::parse_url(cfg.sessions.backend, host, port)) {
    auto backend = std::make_shared<redis_session_store>(host, port, std::chrono::seconds{2});
    out.where = backend->describe();
    out.writer = spawn_session_writer(sys, backend, true);
  } else {
    out.where = "memory";
  }
  out.store = spawn_session_store(sys, out.writer, ss, out.probe);
  spdlog::info("sessions: call snapshots in {}, kept {} s after a call's last update",
               out.where, ss.ttl.count() / 1000);
}

void stop_sessions(caf::actor_system& sys, session_service& s, std::chrono::milliseconds timeout) {
  if (!s.store)
    return;
  caf::scoped_actor self{sys};
  self->request(s.store, timeout, flush_atom_v)
    .receive([] {},
             [&](const caf::error& e) {
               spdlog::error("sessions: not every snapshot was written before shutdown ({}): "
                             "{} waiting, last error: {}",
                             to_string(e), s.probe->waiting.load(), s.probe->last_error());
             });
  caf::anon_send_exit(s.store, caf::exit_reason::user_shutdown);
  if (s.writer)
    caf::anon_send_exit(s.writer, caf::exit_reason::user_shutdown);
}

} // namespace sb
