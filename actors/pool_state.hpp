// The pool actor's state: keys, breaker, holders, the FIFO queue of waiters, the ticket
// index, the monitored requesters and the counters. Pure bookkeeping: sending, monitoring
// and timers live in pool_actor.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/pool_breaker.hpp"
#include "actors/pool_key.hpp"
#include "messages/pool.hpp"

namespace sb {

struct pool_state {
  using time_point = caf::actor_clock::time_point;

  static inline const char* name = "pool";

  struct lease_entry {
    caf::actor_addr holder;
    uint64_t ticket = 0;
    uint32_t key = 0;
    uint32_t est_tokens = 0;
    uint64_t probe = 0;  // breaker probe tag, 0 = not a probe
    time_point granted_at;
    time_point renewed_at;  // granted, adopted or last renewed (expiry counts from here)
    bool holder_gone = false;  // its holder's link closed: freed after the lock-delay
    // From a drained home's table (pool_handover): counted until its holder reports it
    // (then an ordinary lease) or it expires; its holder is not monitored for it.
    bool phantom = false;
  };

  struct waiter {
    caf::actor_addr requester;
    uint64_t ticket = 0;
    uint32_t est_tokens = 0;
    time_point enqueued_at;
    time_point deadline;
    caf::typed_response_promise<pool_lease> rp;
  };

  // What a (requester, ticket) pair refers to: a waiter (seq) or a lease (lease).
  struct ticket_ref {
    uint64_t seq = 0;
    uint64_t lease = 0;
  };

  using ticket_key = std::pair<caf::actor_addr, uint64_t>;

  pool_config cfg;
  std::vector<pool_key> keys;
  circuit_breaker breaker{breaker_settings{}};
  std::map<uint64_t, lease_entry> leases;      // by lease id
  std::map<uint64_t, waiter> queue;            // by sequence number = FIFO order
  std::map<ticket_key, ticket_ref> tickets;
  std::map<caf::actor_addr, uint32_t> watched; // monitored requesters: live waits + leases
  std::optional<time_point> wake_at;           // earliest pending wake message
  uint64_t next_lease = 1;
  uint64_t next_seq = 1;
  pool_stats totals;                           // only the counters and histogram are used
  // Expiry of leases held by other nodes' fronts (cluster-wide pools only).
  caf::actor_addr owner;                       // never expires: the home front
  std::string node;                            // this node (renewal answers)
  uint64_t coord_epoch = 0;                    // its home lease (renewal answers)
  uint64_t incarnation = 0;                    // this process' (renewal, adopt answers)
  // The latest incarnation each node reported with (pool_adopt): renewals of an earlier
  // one (a restarted node's former process) are answered with every id unknown.
  std::map<std::string, uint64_t> incarnations;
  caf::timespan lease_ttl{0};                  // 0 = leases never expire
  caf::timespan lease_margin{0};
  bool sweep_planned = false;

  bool expires(const lease_entry& l) const {
    return lease_ttl.count() > 0 && l.holder != owner;
  }

  void init(pool_config config, time_point now);

  // Longest the pool lets a request wait (the requester's deadline, capped).
  caf::timespan max_wait(caf::timespan requested) const;

  // Least-loaded key able to grant now (fewest holders, then lowest index).
  std::optional<uint32_t> pick_key(uint32_t est_tokens, time_point now);

  void record_wait(caf::timespan waited);

  pool_stats stats(time_point now);
};

} // namespace sb
