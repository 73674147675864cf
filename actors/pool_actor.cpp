#include "actors/pool_actor.hpp"

#include <algorithm>
#include <optional>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/pool_state.hpp"
#include "messages/pool_cluster.hpp"

namespace sb {

namespace {

using self_ptr = pool_engine::stateful_pointer<pool_state>;
using time_point = pool_state::time_point;

time_point now_of(self_ptr self) {
  return self->clock().now();
}

int64_t to_ms(caf::timespan x) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(x).count();
}

// -- monitoring: one monitor per requester with live waits or leases ---------------------

void watch(self_ptr self, const caf::actor_addr& who) {
  if (who && self->state.watched[who]++ == 0)
    self->monitor(who);
}

void unwatch(self_ptr self, const caf::actor_addr& who) {
  auto& watched = self->state.watched;
  auto i = watched.find(who);
  if (i != watched.end() && --i->second == 0) {
    self->demonitor(who);
    watched.erase(i);
  }
}

// -- expiry of other nodes' leases -------------------------------------------------------

// How often leases of other nodes are checked for expiry: a sweep that runs late only
// keeps a lease counted longer (safe), never shorter.
caf::timespan sweep_every(const pool_state& s) {
  auto t = s.lease_ttl / 20;
  return std::clamp(t, caf::timespan{std::chrono::milliseconds{10}},
                    caf::timespan{std::chrono::milliseconds{500}});
}

void plan_sweep(self_ptr self) {
  auto& s = self->state;
  if (s.lease_ttl.count() <= 0 || s.sweep_planned)
    return;
  for (auto& [id, l] : s.leases)
    if (s.expires(l)) {
      s.sweep_planned = true;
      self->delayed_send(self, sweep_every(s), pool_sweep_atom_v);
      return;
    }
}

// -- waiters and leases ----------------------------------------------------------------

pool_lease grant(self_ptr self, const caf::actor_addr& who, uint64_t ticket,
                 uint32_t est_tokens, time_point since, uint32_t key, time_point now) {
  auto& s = self->state;
  auto probe = s.breaker.on_grant(now);
  s.keys[key].on_grant(est_tokens, now);
  auto id = s.next_lease++;
  s.leases.emplace(id, pool_state::lease_entry{who, ticket, key, est_tokens, probe, now, now});
  s.tickets[{who, ticket}] = pool_state::ticket_ref{0, id};
  watch(self, who);
  ++s.totals.acquired;
  s.record_wait(now - since);
  plan_sweep(self);
  return pool_lease{id, ticket, key, s.keys[key].label(), to_ms(now - since), s.coord_epoch};
}

// Removes a waiter from the queue (and the ticket index), answering it with `err` unless
// the requester is gone.
void drop_waiter(self_ptr self, std::map<uint64_t, pool_state::waiter>::iterator i,
                 std::optional<pool_errc> err) {
  auto& s = self->state;
  auto w = std::move(i->second);
  s.queue.erase(i);
  s.tickets.erase({w.requester, w.ticket});
  if (err)
    w.rp.deliver(make_error(*err));
  unwatch(self, w.requester);
}

void fail_all_waiters(self_ptr self, pool_errc err) {
  while (!self->state.queue.empty())
    drop_waiter(self, self->state.queue.begin(), err);
}

// Settles a lease that came back (released, cancelled or reclaimed).
// `used`: its stream was opened (false: cancelled before that; no reuse delay).
void finish_lease(self_ptr self, std::map<uint64_t, pool_state::lease_entry>::iterator i,
                  const pool_release& r, time_point now, bool used = true) {
  auto& s = self->state;
  auto l = i->second;
  s.leases.erase(i);
  s.tickets.erase({l.holder, l.ticket});
  auto& key = s.keys[l.key];
  key.on_return(l.est_tokens, r.used_tokens, now, used);
  auto outcome = r.outcome;
  if (outcome == lease_outcome::ok && s.cfg.slow_threshold.count() > 0 && r.latency_ms >= 0
      && std::chrono::milliseconds{r.latency_ms} > s.cfg.slow_threshold)
    outcome = lease_outcome::slow;
  bool opened = false;
  switch (outcome) {
    case lease_outcome::ok:
      s.breaker.on_success(l.probe);
      break;
    case lease_outcome::failure:
    case lease_outcome::slow:
      ++s.totals.failures;
      opened = s.breaker.on_failure(l.probe, now);
      break;
    case lease_outcome::rate_limited:
      ++s.totals.rate_limited;
      key.on_rate_limited(r.retry_after_ms, now);
      s.breaker.on_neutral(l.probe);
      break;
    default:
      s.breaker.on_neutral(l.probe);
  }
  if (!l.phantom)
    unwatch(self, l.holder);
  if (opened) {
    // Fail fast: nobody waits out the open period in the queue.
    s.totals.breaker_rejected += s.queue.size();
    fail_all_waiters(self, pool_errc::breaker_open);
  }
}

// Schedules a wake-up for when the head of the queue could be granted without a release
// (429 block over, recovery step, rate tokens refilled).
void plan_wake(self_ptr self, time_point now) {
  auto& s = self->state;
  if (s.queue.empty())
    return;
  auto est = s.queue.begin()->second.est_tokens;
  std::optional<time_point> t;
  for (auto& key : s.keys)
    if (auto r = key.ready_at(est, now); r && (!t || *r < *t))
      t = r;
  if (!t || *t <= now || (s.wake_at && *s.wake_at <= *t))
    return;
  s.wake_at = *t;
  self->delayed_send(self, *t - now, pool_wake_atom_v);
}

// Grants leases to waiters in FIFO order while keys can take them.
void dispatch(self_ptr self) {
  auto& s = self->state;
  auto now = now_of(self);
  while (!s.queue.empty()) {
    auto i = s.queue.begin();
    if (now >= i->second.deadline) {  // its expire message is still on the way
      ++s.totals.timeouts;
      drop_waiter(self, i, pool_errc::queue_timeout);
      continue;
    }
    if (!s.breaker.may_grant(now))
      break;
    auto key = s.pick_key(i->second.est_tokens, now);
    if (!key)
      break;
    auto w = std::move(i->second);
    s.queue.erase(i);
    s.tickets.erase({w.requester, w.ticket});
    w.rp.deliver(grant(self, w.requester, w.ticket, w.est_tokens, w.enqueued_at, *key, now));
    unwatch(self, w.requester);  // the lease holds its own reference now
  }
  plan_wake(self, now);
}

// -- the behaviour ---------------------------------------------------------------------

pool_engine::behavior_type pool_impl(self_ptr self, pool_config cfg, lease_expiry expiry) {
  self->state.init(std::move(cfg), now_of(self));
  self->state.owner = expiry.owner;
  self->state.node = expiry.node;
  self->state.lease_ttl = expiry.ttl;
  self->state.lease_margin = expiry.margin;
  self->state.coord_epoch = expiry.coord_epoch;
  self->state.incarnation = expiry.incarnation;
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& s = self->state;
    auto now = now_of(self);
    pool_release gone{0, -1, lease_outcome::unused, -1, -1};  // estimate stays charged
    for (auto i = s.leases.begin(); i != s.leases.end();) {
      auto next = std::next(i);
      auto& l = i->second;
      if (l.phantom) {
        // Not monitored for it: it runs out by its own expiry.
      } else if (l.holder == dm.source && s.expires(l)) {
        // Another node's link closed: its process is gone (the kernel closed its
        // sockets), or the link was reset under a live process that revokes its leases
        // within half the margin. Counted for lease_margin more (a lock-delay), never
        // longer than its TTL would have kept it.
        l.renewed_at = std::min(l.renewed_at, now - s.lease_ttl);
        l.holder_gone = true;
      } else if (l.holder == dm.source) {
        ++s.totals.reclaimed;
        finish_lease(self, i, gone, now);
      }
      i = next;
    }
    for (auto i = s.queue.begin(); i != s.queue.end();) {
      auto next = std::next(i);
      if (i->second.requester == dm.source) {
        ++s.totals.abandoned;
        drop_waiter(self, i, std::nullopt);
      }
      i = next;
    }
    s.watched.erase(dm.source);
    dispatch(self);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    fail_all_waiters(self, pool_errc::shutting_down);
    self->quit(msg.reason);
  });
  return {
    [self](pool_acquire& req) -> caf::result<pool_lease> {
      auto& s = self->state;
      auto now = now_of(self);
      auto who = caf::actor_cast<caf::actor_addr>(self->current_sender());
      if (!who) {
        // Nobody to answer or to monitor: a lease would leak.
        ++s.totals.rejected;
        return caf::make_error(caf::sec::invalid_argument, "anonymous pool_acquire");
      }
      if (s.tickets.count({who, req.ticket}) > 0) {
        ++s.totals.rejected;
        return pool_errc::duplicate_ticket;
      }
      if (!s.breaker.may_grant(now)) {
        ++s.totals.breaker_rejected;
        return pool_errc::breaker_open;
      }
      if (s.queue.empty())
        if (auto key = s.pick_key(req.est_tokens, now))
          return grant(self, who, req.ticket, req.est_tokens, now, *key, now);
      if (s.breaker.state(now) == breaker_state::half_open) {
        ++s.totals.breaker_rejected;  // probes are not queued
        return pool_errc::breaker_open;
      }
      if (s.queue.size() >= s.cfg.max_queue) {
        ++s.totals.rejected;
        return pool_errc::queue_full;
      }
      auto wait = s.max_wait(req.deadline);
      if (wait <= caf::timespan{0}) {
        ++s.totals.timeouts;
        return pool_errc::queue_timeout;
      }
      auto rp = self->make_response_promise<pool_lease>();
      auto seq = s.next_seq++;
      s.queue.emplace(seq, pool_state::waiter{who, req.ticket, req.est_tokens, now,
                                              now + wait, rp});
      s.tickets[{who, req.ticket}] = pool_state::ticket_ref{seq, 0};
      watch(self, who);
      self->delayed_send(self, wait, pool_expire_atom_v, seq);
      plan_wake(self, now);
      return rp;
    },
    [self](pool_release& r) {
      auto& s = self->state;
      auto i = s.leases.find(r.lease_id);
      if (i == s.leases.end()) {
        if (r.lease_id != 0 && r.lease_id < s.next_lease)
          ++s.totals.double_releases;
        else
          ++s.totals.unknown_releases;
        return;
      }
      ++s.totals.released;
      finish_lease(self, i, r, now_of(self));
      dispatch(self);
    },
    [self](pool_cancel& c) {
      auto& s = self->state;
      auto who = caf::actor_cast<caf::actor_addr>(self->current_sender());
      auto t = s.tickets.find({who, c.ticket});
      if (t == s.tickets.end())
        return;  // unknown, or already answered and released
      ++s.totals.cancelled;
      if (t->second.lease != 0) {
        // Granted before the cancel arrived: the lease was never used.
        ++s.totals.released;
        pool_release unused{t->second.lease, 0, lease_outcome::unused, -1, -1};
        finish_lease(self, s.leases.find(t->second.lease), unused, now_of(self), false);
      } else {
        drop_waiter(self, s.queue.find(t->second.seq), pool_errc::cancelled);
      }
      dispatch(self);
    },
    [self](caf::get_atom) -> pool_stats {
      auto st = self->state.stats(now_of(self));
      st.mailbox = self->mailbox().size();
      return st;
    },
    [self](pool_expire_atom, uint64_t seq) {
      auto& s = self->state;
      auto i = s.queue.find(seq);
      if (i == s.queue.end())
        return;  // granted, cancelled or gone
      auto now = now_of(self);
      if (now < i->second.deadline) {
        self->delayed_send(self, i->second.deadline - now, pool_expire_atom_v, seq);
        return;
      }
      ++s.totals.timeouts;
      drop_waiter(self, i, pool_errc::queue_timeout);
      dispatch(self);
    },
    [self](pool_wake_atom) {
      auto& s = self->state;
      if (s.wake_at && now_of(self) >= *s.wake_at)
        s.wake_at.reset();
      dispatch(self);
    },
    // Renewal of another node's leases (cluster-wide pools): one message for all it
    // holds here. Only the listed leases are renewed: one the holder no longer lists
    // (closed without a release reaching us) runs out on its own.
    [self](pool_renew& r) -> pool_renewed {
      auto& s = self->state;
      auto who = caf::actor_cast<caf::actor_addr>(self->current_sender());
      auto now = now_of(self);
      pool_renewed out;
      out.epoch = r.epoch;
      out.home = s.node;
      out.coord_epoch = s.coord_epoch;
      out.incarnation = s.incarnation;
      out.ttl_ms = to_ms(s.lease_ttl);
      // A node that restarted reported with its new incarnation: its former process'
      // renewals are refused (that process revokes what it still holds).
      auto inc = s.incarnations.find(r.from);
      bool stale = r.incarnation != 0 && inc != s.incarnations.end()
                   && inc->second != r.incarnation;
      for (auto id : r.ids) {
        auto i = s.leases.find(id);
        if (stale || i == s.leases.end() || i->second.holder != who || i->second.holder_gone)
          out.unknown.push_back(id);
        else
          i->second.renewed_at = now;
      }
      return out;
    },
    [self](pool_sweep_atom) {
      auto& s = self->state;
      s.sweep_planned = false;
      auto now = now_of(self);
      pool_release gone{0, -1, lease_outcome::unused, -1, -1};  // estimate stays charged
      bool freed = false;
      for (auto i = s.leases.begin(); i != s.leases.end();) {
        auto next = std::next(i);
        auto& l = i->second;
        if (s.expires(l) && now >= l.renewed_at + s.lease_ttl + s.lease_margin) {
          ++s.totals.reclaimed;
          s.totals.expired += l.holder_gone ? 0 : 1;
          finish_lease(self, i, gone, now);
          freed = true;
        }
        i = next;
      }
      if (freed)
        dispatch(self);
      plan_sweep(self);
    },
    // Takeover (cluster-wide pools): leases already held on `holder`'s node are installed
    // as they are, even above the limit (they exist at the provider either way); new
    // grants then wait until enough of them come back.
    [self](pool_adopt& a) -> caf::result<pool_adopted> {
      auto& s = self->state;
      auto who = caf::actor_cast<caf::actor_addr>(a.holder);
      if (!who)
        return caf::make_error(caf::sec::invalid_argument, "pool_adopt without a holder");
      auto now = now_of(self);
      pool_adopted out;
      out.incarnation = s.incarnation;
      if (a.incarnation != 0)
        s.incarnations[a.from] = a.incarnation;
      for (auto& h : a.leases) {
        uint32_t key = h.key_index < s.keys.size() ? h.key_index : 0;
        for (uint32_t k = 0; k < s.keys.size(); ++k)
          if (s.keys[k].label() == h.key_label)
            key = k;
        if (s.tickets.count({who, h.ticket}) > 0) {
          auto id = s.tickets[{who, h.ticket}].lease;
          out.ids.push_back(id);
          // Reported twice: already installed. Reported again after its holder's link
          // closed and came back (a reset), or by its holder after a drained home's
          // table named it: counted and monitored (again).
          if (auto l = s.leases.find(id);
              l != s.leases.end() && (l->second.holder_gone || l->second.phantom)) {
            l->second.holder_gone = false;
            l->second.phantom = false;
            l->second.renewed_at = now;
            watch(self, who);
          }
          continue;
        }
        s.keys[key].on_grant(h.est_tokens, now);
        auto id = s.next_lease++;
        s.leases.emplace(id,
                         pool_state::lease_entry{who, h.ticket, key, h.est_tokens, 0, now, now});
        s.tickets[{who, h.ticket}] = pool_state::ticket_ref{0, id};
        watch(self, who);
        ++s.totals.acquired;
        ++s.totals.adopted;
        out.ids.push_back(id);
      }
      plan_sweep(self);
      return out;
    },
    // Planned leave (pool_front_handover.cpp): every lease this engine counts, by holder,
    // and its totals. It grants nothing more: waiters are sent to the next home.
    [self](pool_handover_atom) -> pool_table {
      auto& s = self->state;
      pool_table t;
      std::map<caf::actor_addr, size_t> by_holder;
      for (auto& [id, l] : s.leases) {
        auto holder = caf::actor_cast<caf::actor>(l.holder);
        if (!holder)
          continue;  // gone: nothing of it is live
        auto [at, added] = by_holder.emplace(l.holder, t.holders.size());
        if (added)
          t.holders.push_back(pool_adopt{s.node, holder, {}, 0});
        t.holders[at->second].leases.push_back(
          pool_held{l.ticket, s.keys[l.key].label(), l.key, l.est_tokens});
      }
      t.totals = s.stats(now_of(self));
      fail_all_waiters(self, pool_errc::not_home);
      self->quit();
      return t;
    },
    // A drained home's table, in the successor's new engine: its leases are counted (even
    // above the limit: they may exist at the provider) until their holder reports them
    // (matched by holder and ticket) or they expire lease_ttl + lease_margin from now.
    [self](pool_table& t) {
      auto& s = self->state;
      auto now = now_of(self);
      for (auto& h : t.holders) {
        auto who = caf::actor_cast<caf::actor_addr>(h.holder);
        if (!who || who == s.owner)
          continue;  // this node's own leases: its front reports them exactly
        for (auto& l : h.leases) {
          if (s.tickets.count({who, l.ticket}) > 0)
            continue;  // already reported by its holder
          uint32_t key = l.key_index < s.keys.size() ? l.key_index : 0;
          for (uint32_t k = 0; k < s.keys.size(); ++k)
            if (s.keys[k].label() == l.key_label)
              key = k;
          s.keys[key].on_grant(l.est_tokens, now);
          auto id = s.next_lease++;
          pool_state::lease_entry e{who, l.ticket, key, l.est_tokens, 0, now, now};
          e.phantom = true;
          s.leases.emplace(id, e);
          s.tickets[{who, l.ticket}] = pool_state::ticket_ref{0, id};
        }
      }
      plan_sweep(self);
    },
  };
}

} // namespace

std::vector<std::string> validate(const pool_config& cfg) {
  std::vector<std::string> out;
  auto bad = [&](const std::string& what) { out.push_back("pool " + cfg.name + ": " + what); };
  if (cfg.keys.empty())
    bad("needs at least one key");
  for (size_t i = 0; i < cfg.keys.size(); ++i) {
    if (cfg.keys[i].empty())
      bad("key " + std::to_string(i) + " has an empty label");
    for (size_t j = 0; j < i; ++j)
      if (cfg.keys[i] == cfg.keys[j])
        bad("key label '" + cfg.keys[i] + "' is used twice");
  }
  if (cfg.max_active < 1)
    bad("max_active must be at least 1");
  if (cfg.queue_timeout.count() < 0)
    bad("queue_timeout must not be negative");
  if (cfg.failure_threshold < 1)
    bad("failure_threshold must be at least 1");
  if (cfg.success_threshold < 1)
    bad("success_threshold must be at least 1");
  if (cfg.half_open_probes < 1)
    bad("half_open_probes must be at least 1");
  if (cfg.open_timeout.count() <= 0)
    bad("open_timeout must be positive");
  if (cfg.slow_threshold.count() < 0)
    bad("slow_threshold must not be negative");
  if (cfg.default_retry_after.count() < 0)
    bad("default_retry_after must not be negative");
  if (cfg.backoff_cooldown.count() <= 0)
    bad("backoff_cooldown must be positive");
  if (cfg.backoff_step < 1)
    bad("backoff_step must be at least 1");
  return out;
}

pool_engine spawn_pool_engine(caf::actor_system& sys, pool_config cfg, lease_expiry expiry) {
  return sys.spawn(pool_impl, std::move(cfg), std::move(expiry));
}

pool_actor spawn_pool(caf::actor_system& sys, pool_config cfg) {
  return spawn_pool_engine(sys, std::move(cfg));
}

} // namespace sb
