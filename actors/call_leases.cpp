#include "actors/call_leases.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

namespace sb {

uint64_t call_leases::acquire(const pool_actor& pool, std::chrono::milliseconds deadline,
                              uint32_t est_tokens, granted on_grant, refused on_refuse) {
  auto ticket = next_ticket_++;
  if (!pool) {
    on_grant(pool_lease{0, ticket, 0, "default", 0, 0});
    return 0;  // granted already: nothing in flight
  }
  pending_.emplace(ticket, wanted{pool});
  // The pool answers by the deadline; the request timeout only guards against a lost pool.
  self_
    ->request(pool, deadline + std::chrono::seconds{2},
              pool_acquire{ticket, caf::timespan{deadline}, est_tokens})
    .then(
      [this, ticket, g = std::move(on_grant)](pool_lease& lease) {
        if (pending_.erase(ticket) == 0)
          return;  // cancelled: the pool took the lease back on pool_cancel
        g(lease);
      },
      [this, ticket, r = std::move(on_refuse)](caf::error& err) {
        if (pending_.erase(ticket) == 0)
          return;
        r(err);
      });
  return ticket;
}

void call_leases::cancel(uint64_t ticket) {
  auto i = pending_.find(ticket);
  if (i == pending_.end())
    return;
  self_->send(i->second.pool, pool_cancel{ticket});
  pending_.erase(i);
}

void call_leases::cancel_all() {
  while (!pending_.empty())
    cancel(pending_.begin()->first);
}

void call_leases::bind(stream_id s, const pool_actor& pool, const pool_lease& lease,
                       bool timed) {
  if (pool)
    held_[s] = held{pool, lease.id, self_->clock().now(), timed};
}

void call_leases::release(stream_id s, lease_outcome outcome, int64_t used_tokens,
                          int64_t retry_after_ms) {
  auto i = held_.find(s);
  if (i == held_.end())
    return;
  int64_t took = -1;
  if (i->second.timed)
    took = std::chrono::duration_cast<std::chrono::milliseconds>(
             self_->clock().now() - i->second.since)
             .count();
  self_->send(i->second.pool,
              pool_release{i->second.lease, used_tokens, outcome, retry_after_ms, took});
  held_.erase(i);
}

stream_id call_leases::revoked(const caf::actor_addr& pool, uint64_t lease) {
  for (auto i = held_.begin(); i != held_.end(); ++i)
    if (i->second.lease == lease && i->second.pool.address() == pool) {
      auto s = i->first;
      held_.erase(i);
      return s;
    }
  return 0;
}

lease_outcome outcome_of(const provider_failure& f) {
  switch (f.kind) {
    case failure_kind::rate_limited: return lease_outcome::rate_limited;
    case failure_kind::rejected: return lease_outcome::unused;
    default: return lease_outcome::failure;
  }
}

} // namespace sb
