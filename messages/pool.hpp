// The provider pool's vocabulary: its configuration, the lease protocol (acquire, lease,
// release, cancel), its stats, its errors and its typed interface. The pool itself lives in
// actors/pool_actor.hpp; docs/pools.md describes the behaviour.
//
// Protocol, as seen by a requester (a call actor):
//   request(pool, deadline + margin, pool_acquire{ticket, deadline, est_tokens})
//     -> pool_lease             granted (at once or after waiting in the FIFO queue)
//     -> error (pool_errc ...)  queue_full / breaker_open at once, queue_timeout at the
//                               deadline, cancelled, duplicate_ticket, shutting_down
//   send(pool, pool_release{lease_id, used_tokens, outcome, retry_after_ms, latency_ms})
//   send(pool, pool_cancel{ticket})   the requester gave up; a lease already granted for
//                                     this ticket is released
// Tickets are chosen by the requester and are scoped to it (the pool keys them by the
// sender's address), so acquire and cancel must come from the same actor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "messages/provider_events.hpp"

namespace sb {

// -- configuration ---------------------------------------------------------------------

// One pool per provider resource. Every limit is per API key; `keys` are labels for logs
// and stats ("openai-1"), never the secrets themselves.
struct pool_config {
  std::string name = "pool";
  provider_kind kind = provider_kind::stt;
  std::vector<std::string> keys{"default"};
  uint32_t max_active = 20;                       // concurrent leases per key
  uint32_t max_queue = 100;                       // waiters (whole pool); more: queue_full
  std::chrono::milliseconds queue_timeout{5000};  // longest wait, caps the requester's
  uint32_t requests_per_minute = 0;               // per key; 0 = unlimited
  uint32_t tokens_per_minute = 0;                 // per key; 0 = unlimited
  // Circuit breaker (whole pool).
  uint32_t failure_threshold = 5;                 // consecutive failures: closed -> open
  uint32_t success_threshold = 2;                 // probe successes: half-open -> closed
  std::chrono::milliseconds open_timeout{10000};  // open -> half-open
  uint32_t half_open_probes = 1;                  // concurrent probe leases in half-open
  std::chrono::milliseconds slow_threshold{0};    // ok calls slower count as failures; 0 = off
  // 429 back-off (per key).
  std::chrono::milliseconds default_retry_after{1000};  // when the 429 carried none
  std::chrono::milliseconds backoff_cooldown{5000};     // time per recovery step
  uint32_t backoff_step = 1;                            // limit regained per step
  // A returned slot is granted again only after this long (a lock-delay): the provider
  // may still count the stream it guarded for a moment after our side saw it close.
  // Leases cancelled before their stream was opened come back at once.
  std::chrono::milliseconds reuse_delay{0};
};

// -- messages --------------------------------------------------------------------------

// Asks for a lease. `deadline` is how long the requester is willing to wait, measured from
// when the pool receives the request (<= 0: the pool's queue_timeout); the pool never waits
// longer than its queue_timeout. The requester's own request timeout must be at least
// `deadline`; if it gives up earlier it sends pool_cancel{ticket}.
struct pool_acquire {
  uint64_t ticket = 0;          // chosen by the requester, unique among its live requests
  caf::timespan deadline{0};
  uint32_t est_tokens = 0;      // LLM: expected prompt + completion tokens
};

// A granted lease. Release it exactly once with pool_release{id, ...}.
struct pool_lease {
  uint64_t id = 0;
  uint64_t ticket = 0;          // echoes pool_acquire::ticket
  uint32_t key_index = 0;       // index into pool_config::keys
  std::string key_label;
  int64_t waited_ms = 0;        // time spent in the queue
  // Cluster-wide pools with a coordinator: the epoch of the home lease the granting home
  // grants under (0 = none). A front refuses a grant below the highest it has seen.
  uint64_t coord_epoch = 0;
};

// How the provider call made under a lease went. Feeds the breaker and the back-off.
enum class lease_outcome : uint8_t {
  ok = 0,            // success (still a failure when latency_ms > slow_threshold)
  failure = 1,       // connection error, 5xx, provider timeout
  slow = 2,          // the requester judged the call too slow: a failure
  rate_limited = 3,  // 429: tightens the key, not a breaker failure
  unused = 4,        // no provider call was made: neither success nor failure
};

inline const char* to_string(lease_outcome x) {
  switch (x) {
    case lease_outcome::ok: return "ok";
    case lease_outcome::failure: return "failure";
    case lease_outcome::slow: return "slow";
    case lease_outcome::rate_limited: return "rate_limited";
    default: return "unused";
  }
}

struct pool_release {
  uint64_t lease_id = 0;
  int64_t used_tokens = -1;     // actual usage; -1 = not reported (the estimate stands)
  lease_outcome outcome = lease_outcome::ok;
  int64_t retry_after_ms = -1;  // with rate_limited; -1 = unknown (default_retry_after)
  int64_t latency_ms = -1;      // call latency for the slow check; -1 = unknown
};

// The requester gave up on the acquire with this ticket.
struct pool_cancel {
  uint64_t ticket = 0;
};

// -- stats -----------------------------------------------------------------------------

enum class breaker_state : uint8_t { closed = 0, open = 1, half_open = 2 };

inline const char* to_string(breaker_state x) {
  switch (x) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    default: return "half_open";
  }
}

struct pool_key_stats {
  std::string label;
  uint32_t max_active = 0;       // configured
  uint32_t effective_limit = 0;  // after 429 tightening
  uint32_t active = 0;
  uint32_t cooling = 0;          // returned slots still within reuse_delay
  int64_t blocked_ms = 0;        // remaining 429 block, 0 = grants allowed
  uint64_t acquired = 0;
  uint64_t rate_limited = 0;     // 429s reported
  uint32_t requests_per_minute = 0;  // configured; 0 = unlimited
  uint32_t tokens_per_minute = 0;    // configured; 0 = unlimited
  int64_t rpm_available = 0;     // request tokens now (0 when unlimited)
  int64_t tpm_available = 0;     // LLM tokens now, negative = debt (0 when unlimited)
};

struct pool_holder {
  uint64_t lease_id = 0;
  std::string holder;            // actor address as text
  uint64_t ticket = 0;
  uint32_t key_index = 0;
  int64_t held_ms = 0;
};

struct pool_waiter {
  uint64_t ticket = 0;
  std::string requester;         // actor address as text
  int64_t waiting_ms = 0;
  int64_t remaining_ms = 0;      // until its deadline
};

struct pool_stats {
  std::string name;
  provider_kind kind = provider_kind::stt;
  uint32_t active = 0;
  uint32_t queued = 0;
  uint32_t capacity = 0;            // sum of max_active over keys
  uint32_t effective_capacity = 0;  // sum of effective limits
  uint32_t max_queue = 0;
  double utilization = 0;           // active / capacity
  // Totals. acquired == released + reclaimed + active.
  uint64_t acquired = 0;
  uint64_t released = 0;            // explicit releases, including cancel after grant
  uint64_t reclaimed = 0;           // leases returned because the holder died or expired
  uint64_t expired = 0;             // of those: another node's leases not renewed in time
  uint64_t timeouts = 0;            // waiters that reached their deadline
  uint64_t rejected = 0;            // queue_full, duplicate_ticket, anonymous acquires
  uint64_t breaker_rejected = 0;    // breaker_open answers (new and queued requests)
  uint64_t abandoned = 0;           // waiters whose requester died
  uint64_t cancelled = 0;           // pool_cancel that found a waiter or a lease
  uint64_t double_releases = 0;     // release of a lease already returned
  uint64_t unknown_releases = 0;    // release of a lease id never granted
  uint64_t failures = 0;            // failure/slow outcomes
  uint64_t rate_limited = 0;        // 429 outcomes
  // Wait time of granted leases: wait_counts[i] counts waits <= wait_bounds_ms[i] (and
  // above the previous bound); the last count is for waits above the last bound.
  std::vector<int64_t> wait_bounds_ms;
  std::vector<uint64_t> wait_counts;
  uint64_t wait_total_us = 0;       // the sum of those waits
  // Circuit breaker.
  breaker_state breaker = breaker_state::closed;
  uint32_t consecutive_failures = 0;
  uint32_t half_open_successes = 0;
  int64_t breaker_open_ms = 0;      // remaining open time, 0 unless open
  uint64_t breaker_opened = 0;      // times it opened
  std::vector<pool_key_stats> keys;
  std::vector<pool_holder> holders;
  std::vector<pool_waiter> waiters;  // in queue (FIFO) order
  uint64_t mailbox = 0;              // messages waiting in the pool's mailbox
  // Cluster-wide pools (filled by the node's pool front, actors/pool_front.hpp).
  std::string home;                  // node hosting the pool ("" = node-local pool)
  uint64_t adopted = 0;              // leases installed from other nodes on a takeover
  uint32_t node_active = 0;          // leases held by calls on the answering node
  uint64_t fenced = 0;               // leases the answering node revoked from its calls
                                     // because it could not renew them in time
  std::string authority;             // with a coordinator: what this node may grant
};

// -- errors ----------------------------------------------------------------------------

enum class pool_errc : uint8_t {
  queue_full = 1,        // the queue holds max_queue waiters
  queue_timeout = 2,     // the deadline passed before a lease was free
  breaker_open = 3,      // the circuit breaker is open (or half-open with its probes out)
  cancelled = 4,         // the requester cancelled this ticket
  duplicate_ticket = 5,  // the requester already has a live request with this ticket
  shutting_down = 6,     // the pool stopped while the request waited
  not_home = 7,          // cluster: the node asked is not (or not yet) the pool's home
  lease_expired = 8,     // cluster: the lease could not be renewed in time; its stream
                         // was closed (the holder fenced itself)
};

inline const char* to_string(pool_errc x) {
  switch (x) {
    case pool_errc::queue_full: return "queue_full";
    case pool_errc::queue_timeout: return "queue_timeout";
    case pool_errc::breaker_open: return "breaker_open";
    case pool_errc::cancelled: return "cancelled";
    case pool_errc::duplicate_ticket: return "duplicate_ticket";
    case pool_errc::shutting_down: return "shutting_down";
    case pool_errc::not_home: return "not_home";
    case pool_errc::lease_expired: return "lease_expired";
    default: return "unknown";
  }
}

// Error category of pool_errc, registered in register_types.
constexpr caf::atom_value pool_error_category = caf::atom("pool");

// Found by ADL: a handler may `return pool_errc::queue_full;`.
inline caf::error make_error(pool_errc x) {
  return caf::error{static_cast<uint8_t>(x), pool_error_category};
}

// -- atoms and the interface -----------------------------------------------------------

// Internal to the pool (it sends them to itself); listed in the interface because a typed
// actor can only receive what its interface names. Harmless when sent by others.
using pool_expire_atom = caf::atom_constant<caf::atom("pexpire")>;  // + waiter sequence
using pool_wake_atom = caf::atom_constant<caf::atom("pwake")>;      // re-check the queue
constexpr pool_expire_atom pool_expire_atom_v{};
constexpr pool_wake_atom pool_wake_atom_v{};

using pool_actor = caf::typed_actor<
  caf::replies_to<pool_acquire>::with<pool_lease>,
  caf::reacts_to<pool_release>,
  caf::reacts_to<pool_cancel>,
  caf::replies_to<caf::get_atom>::with<pool_stats>,
  caf::reacts_to<pool_expire_atom, uint64_t>,
  caf::reacts_to<pool_wake_atom>>;

// -- inspect ---------------------------------------------------------------------------

#define SB_INSPECT(type, ...)                                                    \
  template <class Inspector>                                                     \
  typename Inspector::result_type inspect(Inspector& f, type& x) {               \
    return f(caf::meta::type_name(#type), __VA_ARGS__);                          \
  }

SB_INSPECT(pool_config, x.name, x.kind, x.keys, x.max_active, x.max_queue, x.queue_timeout,
           x.requests_per_minute, x.tokens_per_minute, x.failure_threshold,
           x.success_threshold, x.open_timeout, x.half_open_probes, x.slow_threshold,
           x.default_retry_after, x.backoff_cooldown, x.backoff_step, x.reuse_delay)
SB_INSPECT(pool_acquire, x.ticket, x.deadline, x.est_tokens)
SB_INSPECT(pool_lease, x.id, x.ticket, x.key_index, x.key_label, x.waited_ms, x.coord_epoch)
SB_INSPECT(pool_release, x.lease_id, x.used_tokens, x.outcome, x.retry_after_ms,
           x.latency_ms)
SB_INSPECT(pool_cancel, x.ticket)
SB_INSPECT(pool_key_stats, x.label, x.max_active, x.effective_limit, x.active, x.cooling,
           x.blocked_ms,
           x.acquired, x.rate_limited, x.requests_per_minute, x.tokens_per_minute,
           x.rpm_available, x.tpm_available)
SB_INSPECT(pool_holder, x.lease_id, x.holder, x.ticket, x.key_index, x.held_ms)
SB_INSPECT(pool_waiter, x.ticket, x.requester, x.waiting_ms, x.remaining_ms)
SB_INSPECT(pool_stats, x.name, x.kind, x.active, x.queued, x.capacity, x.effective_capacity,
           x.max_queue, x.utilization, x.acquired, x.released, x.reclaimed, x.expired, x.timeouts,
           x.rejected, x.breaker_rejected, x.abandoned, x.cancelled, x.double_releases,
           x.unknown_releases, x.failures, x.rate_limited, x.wait_bounds_ms, x.wait_counts,
           x.wait_total_us,
           x.breaker, x.consecutive_failures, x.half_open_successes, x.breaker_open_ms,
           x.breaker_opened, x.keys, x.holders, x.waiters, x.mailbox, x.home, x.adopted,
           x.node_active, x.fenced, x.authority)

#undef SB_INSPECT

} // namespace sb
