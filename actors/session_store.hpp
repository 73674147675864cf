// The session store: one per node. Call actors put their snapshot at every turn
// (messages/session.hpp), read it when their stream starts (a resumed call), and say when
// they end (keep the snapshot for `ttl`, or drop it).
//
// In memory (sessions.backend = memory) the snapshots live in this actor: a call that
// comes back to the same node resumes. With a backend (Redis) they are written through the
// session writer, a detached actor that owns the blocking connection, so a call's stream
// that comes back on another node resumes too. Writes are coalesced: one snapshot per call
// waits (the latest), one batch is in flight at a time, a failed batch is kept and sent
// again with back-off (newer snapshots win); reads answer from what waits first. The
// snapshots of live calls are refreshed (their TTL pushed out) every `refresh_interval`,
// so only a call that has ended, or whose node has died, expires `ttl` after its last
// update. Never blocks; all time comes from the actor clock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/probe_support.hpp"
#include "messages/session.hpp"

namespace sb {

struct session_settings {
  std::chrono::milliseconds ttl{std::chrono::minutes{60}};
  // How often live calls' snapshots are refreshed; 0 = a third of `ttl`, at most 60 s.
  std::chrono::milliseconds refresh_interval{0};
  // A read the backend does not answer in this long counts as "no snapshot" (the call
  // starts over rather than waiting on a slow store).
  std::chrono::milliseconds read_timeout{1000};
  size_t max_waiting = 100000;  // snapshots waiting for a backend that cannot take them
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{5000};
};

// What the store did, readable from any thread (stats, /health, tests).
struct session_probe : probe_error {
  std::atomic<uint64_t> live{0};      // calls whose snapshots are refreshed
  std::atomic<uint64_t> kept{0};      // memory: snapshots held (live and ended)
  std::atomic<uint64_t> writes{0};    // snapshots put (memory or backend)
  std::atomic<uint64_t> batches{0};   // backend batches written
  std::atomic<uint64_t> write_failures{0};
  std::atomic<uint64_t> waiting{0};   // snapshots not yet written to the backend
  std::atomic<uint64_t> dropped{0};   // snapshots given up (max_waiting)
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> found{0};     // reads that found a snapshot
  std::atomic<uint64_t> read_failures{0};  // backend errors and timeouts
  std::atomic<uint64_t> expired{0};   // memory: snapshots gone after their TTL
  std::atomic<int64_t> failing_since_ms{0};   // actor-clock ms of the first failure; 0 = ok
  std::atomic<int64_t> inflight_since_ms{0};  // a backend batch in flight since; 0 = none
};

// The writer owns the backend: answers (write_atom, session_batch, ttl_ms) with "" or the
// error, and (session_get_atom, call_id) with (session_snapshot, error). Detached in
// production; on the scheduler in tests with a backend that does not block.
caf::actor spawn_session_writer(caf::actor_system& sys, std::shared_ptr<session_backend> backend,
                                bool detached);

// `writer` invalid: snapshots live in memory.
caf::actor spawn_session_store(caf::actor_system& sys, caf::actor writer,
                               session_settings settings, std::shared_ptr<session_probe> probe);

} // namespace sb
