// A call's provider leases: acquisitions in flight and leases held, each guarding one
// provider stream. A lease goes back to its pool only when the stream's terminal event
// arrives (the connection has really closed or the request has completed), so the pool's
// count matches what the provider counts. Private to actors/.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>

#include <caf/actor_clock.hpp>
#include <caf/fwd.hpp>

#include "messages/pool.hpp"

namespace caf {
class event_based_actor;
}

namespace sb {

class call_leases {
public:
  using granted = std::function<void(const pool_lease&)>;
  using refused = std::function<void(const caf::error&)>;

  explicit call_leases(caf::event_based_actor* self) : self_(self) {}

  // Asks `pool` for a lease, waiting at most `deadline`. Returns a ticket for cancel(), or
  // 0 when there is no pool: then `on_grant` has already run, with key 0.
  uint64_t acquire(const pool_actor& pool, std::chrono::milliseconds deadline,
                   uint32_t est_tokens, granted on_grant, refused on_refuse);
  // The acquisition is no longer wanted: the pool drops the waiter, or takes the lease
  // back if it was already granted. Neither callback runs afterwards.
  void cancel(uint64_t ticket);
  void cancel_all();
  // The lease now guards stream `s`.
  // `timed`: report the stream's duration on release (requests, not whole-call streams).
  void bind(stream_id s, const pool_actor& pool, const pool_lease& lease, bool timed);
  // Stream `s` ended: return its lease (no-op when it holds none). Request streams (LLM,
  // TTS) report how long they took, for the breaker's slow threshold.
  void release(stream_id s, lease_outcome outcome, int64_t used_tokens = -1,
               int64_t retry_after_ms = -1);
  // `pool` revoked this lease (cluster: it could not be renewed in time): forgets it
  // without a release and returns the stream it guards (0 when none), which the caller
  // must close at once.
  stream_id revoked(const caf::actor_addr& pool, uint64_t lease);
  bool holding() const { return !held_.empty(); }
  bool pending(uint64_t ticket) const { return pending_.count(ticket) != 0; }
  // For inspection (debug console): every held lease, and the acquisitions in flight.
  template <class F> void each_held(F f) const {
    for (auto& [s, h] : held_)
      f(s, h.lease, h.since);
  }
  size_t pending_count() const { return pending_.size(); }

private:
  struct held {
    pool_actor pool;
    uint64_t lease = 0;
    caf::actor_clock::time_point since;
    bool timed = false;
  };
  struct wanted {
    pool_actor pool;
  };

  caf::event_based_actor* self_;
  uint64_t next_ticket_ = 1;
  std::map<uint64_t, wanted> pending_;
  std::map<stream_id, held> held_;
};

// How a provider failure counts for the pool (breaker, back-off).
lease_outcome outcome_of(const provider_failure& f);

} // namespace sb
