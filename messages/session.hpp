// A call's session: the snapshot a call actor keeps in the session store at every turn
// (its conversation so far, turn, state, times), so that the call's stream, when it comes
// back with the same call sid (the telephony side reconnects it, or a load balancer sends
// it to another node), resumes the conversation instead of starting over. The store actor
// (actors/session_store.hpp) keeps snapshots in memory or, through the backend interface
// below, in Redis (net/redis/redis_session_store.hpp). See docs/storage.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/ports.hpp"
#include "messages/transcript.hpp"  // flush_atom, write_atom

namespace sb {

struct session_snapshot {
  std::string call_id;   // the telephony call sid (the stream sid when there is none)
  std::string node;      // the node that wrote it
  std::string stream_sid;
  std::vector<chat_message> history;  // without the system prompt
  uint32_t turn = 0;     // turns begun so far
  std::string state;     // listening | thinking | responding, when it was written
  int64_t started_at = 0;  // the call's first start, ms since the Unix epoch
  int64_t updated_at = 0;
  uint32_t resumes = 0;  // how often the call has been resumed so far
  bool found = false;    // in answers to a read: a snapshot was there
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_snapshot& x) {
  return f(caf::meta::type_name("sb::session_snapshot"), x.call_id, x.node, x.stream_sid,
           x.history, x.turn, x.state, x.started_at, x.updated_at, x.resumes, x.found);
}

// One write to a backend: snapshots to store (each expiring `ttl` after the write), calls
// whose snapshots go, and calls whose snapshots stay `ttl` longer (live calls, refreshed).
struct session_batch {
  std::vector<session_snapshot> puts;
  std::vector<std::string> removes;
  std::vector<std::string> touches;
  bool empty() const { return puts.empty() && removes.empty() && touches.empty(); }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_batch& x) {
  return f(caf::meta::type_name("sb::session_batch"), x.puts, x.removes, x.touches);
}

// A session backend that keeps snapshots outside the node (Redis). Blocking: used only
// from the session store's own detached writer. Errors come back as text, without secrets.
class session_backend {
public:
  virtual ~session_backend() = default;
  // Applies a whole batch (pipelined); an error means it may be applied in part: the
  // store sends it again (every step is idempotent).
  virtual std::optional<std::string> write(const session_batch& b,
                                           std::chrono::milliseconds ttl) = 0;
  // The snapshot of `call_id` (found = false when there is none, or on an error).
  virtual session_snapshot get(const std::string& call_id, std::string& error) = 0;
  virtual std::string describe() const = 0;  // "redis://HOST:PORT"
};

// Session store protocol (actors/session_store.hpp).
//   (session_put_atom, session_snapshot)              a call's latest snapshot
//   (session_get_atom, call_id) -> session_snapshot    found = false when there is none
//   (session_end_atom, call_id, keep)               the call ended: keep its snapshot for
//                                                   `ttl` (it may come back) or drop it
//   (flush_atom) -> unit                            every snapshot written (shutdown)
// and of its writer: (write_atom, session_batch, ttl_ms) -> error text ("" = written),
// (session_get_atom, call_id) -> (session_snapshot, error text).
using session_put_atom = caf::atom_constant<caf::atom("sessput")>;
using session_get_atom = caf::atom_constant<caf::atom("sessget")>;
using session_end_atom = caf::atom_constant<caf::atom("sessend")>;
constexpr session_put_atom session_put_atom_v{};
constexpr session_get_atom session_get_atom_v{};
constexpr session_end_atom session_end_atom_v{};

} // namespace sb
