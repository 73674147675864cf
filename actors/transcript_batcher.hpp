// The transcript batcher: collects every call's record and transcript entries and writes
// them through the store writer in batches (one transaction across many calls): when
// `max_entries` are waiting, when the oldest has waited `max_delay`, at once when a call
// ends (its remaining entries), and everything on (flush_atom) at shutdown. A failed
// write is kept and retried with back-off, in order, before anything newer; the batcher
// keeps at most `max_buffered` entries and, if it ever must drop, drops the oldest,
// counts them and logs what was dropped. Never blocks: the store's I/O is the writer's,
// a detached actor. All time comes from the actor clock (virtual under the test
// coordinator).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/probe_support.hpp"
#include "messages/transcript.hpp"

namespace sb {

struct batcher_settings {
  uint32_t max_entries = 100;
  std::chrono::milliseconds max_delay{1000};
  size_t max_buffered = 100000;  // entries kept while the store cannot take them
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{5000};
};

// What the batcher did, readable from any thread (stats, /health, tests).
struct batcher_probe : probe_error {
  std::atomic<uint64_t> entries_written{0};
  std::atomic<uint64_t> calls_written{0};  // call records (a call is written at start and end)
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> write_failures{0};
  std::atomic<uint64_t> dropped{0};        // entries given up (buffer full)
  std::atomic<uint64_t> buffered{0};       // entries waiting now
  std::atomic<int64_t> failing_since_ms{0};  // actor-clock ms of the first failure; 0 = ok
  std::atomic<int64_t> inflight_since_ms{0};  // a write in flight since; 0 = none
};

// The writer: owns the store (opened already), answers (write_atom, store_batch) with ""
// or the store's error, (get_atom, call_id) with a call_lookup, and (get_atom, status,
// since, agent, limit) with a call_list; reads queue behind writes. Spawn it detached in production (`detached`), on the scheduler
// in tests with a store that does not block.
caf::actor spawn_store_writer(caf::actor_system& sys, std::shared_ptr<transcript_store> store,
                              bool detached = true);

caf::actor spawn_transcript_batcher(caf::actor_system& sys, caf::actor writer,
                                    batcher_settings settings,
                                    std::shared_ptr<batcher_probe> probe);

} // namespace sb
