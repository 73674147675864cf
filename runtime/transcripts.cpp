#include "runtime/transcripts.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "net/store/postgres_store.hpp"
#include "net/store/sqlite_store.hpp"
#include "net/store/uri_password.hpp"

namespace sb {

bool start_transcripts(caf::actor_system& sys, const node_config& cfg, transcript_service& out,
                       std::string& error) {
  const auto& uri = cfg.store.transcripts;
  std::shared_ptr<transcript_store> store;
  if (uri.rfind("sqlite:", 0) == 0)
    store = std::make_shared<store::sqlite_store>(uri.substr(7));
  else if (uri.rfind("postgresql://", 0) == 0 || uri.rfind("postgres://", 0) == 0)
    store = std::make_shared<store::postgres_store>(uri);
  if (!store) {
    error = "[store] transcripts: " + store::without_password(uri) +
            " is not a store this build can open";
    return false;
  }
  if (auto e = store->open()) {
    error = "[store] transcripts: " + *e;
    return false;
  }
  out.where = store->describe();
  batcher_settings bs;
  bs.max_entries = cfg.batcher.max_entries;
  bs.max_delay = cfg.batcher.max_delay;
  out.writer = spawn_store_writer(sys, store, true);
  out.batcher = spawn_transcript_batcher(sys, out.writer, bs, out.probe);
  spdlog::info("transcripts: {} (schema version {}), batches of up to {} entries, {} ms",
               out.where, store->schema_version(), bs.max_entries, bs.max_delay.count());
  return true;
}

void stop_transcripts(caf::actor_system& sys, transcript_service& t,
                      std::chrono::milliseconds timeout) {
  if (!t.batcher)
    return;
  caf::scoped_actor self{sys};
  bool flushed = false;
  self->request(t.batcher, timeout, flush_atom_v)
    .receive([&] { flushed = true; },
             [&](const caf::error& e) {
               spdlog::error("transcripts: not everything was written before shutdown ({}): "
                             "{} entries left, last store error: {}",
                             to_string(e), t.probe->buffered.load(), t.probe->last_error());
             });
  if (flushed)
    spdlog::info("transcripts: everything written ({} entries in {} batches)",
                 t.probe->entries_written.load(), t.probe->batches.load());
  caf::anon_send_exit(t.batcher, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(t.writer, caf::exit_reason::user_shutdown);
}

} // namespace sb
