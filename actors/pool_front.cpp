// The pool front, call side: acquires, releases and cancels of this node's calls, taken
// to the current home. The home side (engine, rebuild) is in pool_front_home.cpp.
#include "actors/pool_front.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/sec.hpp>
#include <caf/system_messages.hpp>

#include "actors/pool_actor.hpp"
#include "actors/pool_front_state.hpp"

namespace sb {

namespace {

using std::chrono::milliseconds;
using time_point = pool_front_state::time_point;

constexpr std::chrono::seconds request_margin{2};

time_point now_of(front_ptr self) {
  return self->clock().now();
}

int64_t to_ms(caf::timespan x) {
  return std::chrono::duration_cast<milliseconds>(x).count();
}

void erase_pending(front_ptr self, std::map<uint64_t, pool_front_state::pending>::iterator i) {
  auto& s = self->state;
  s.call_pending.erase(std::make_pair(i->second.caller, i->second.call_ticket));
  auto who = i->second.caller;
  s.pendings.erase(i);
  front_unwatch(self, who);
}

void fail_pending(front_ptr self, std::map<uint64_t, pool_front_state::pending>::iterator i,
                  const caf::error& err) {
  i->second.rp.deliver(err);
  erase_pending(self, i);
}

// Sends a cancel for our ticket to wherever the acquire went (the current home).
void cancel_at_home(front_ptr self, uint64_t ticket) {
  auto& s = self->state;
  if (s.engine)
    self->send(s.engine, pool_cancel{ticket});
  else if (s.home_front)
    self->send(s.home_front, pool_home_atom_v, pool_cancel{ticket});
}

void on_granted(front_ptr self, uint64_t ticket, uint64_t epoch, pool_front_actor target,
                pool_lease& l) {
  front_check_authority(self);  // a home that lost its lease or stalled grants nothing
  auto& s = self->state;
  auto i = s.pendings.find(ticket);
  if (target && epoch == s.epoch && !front_claim_ok(self, s.home, l.coord_epoch)) {
    // Granted under a home lease a later home has taken over since: that home may no
    // longer grant. Returned; the acquire goes again once the view has moved on.
    self->send(target, pool_home_atom_v, pool_release{l.id, 0, lease_outcome::unused, -1, -1});
    if (i != s.pendings.end() && i->second.sent_epoch == epoch) {
      i->second.sent_epoch = 0;
      front_plan_retry(self);
    }
    return;
  }
  if (i == s.pendings.end() || i->second.sent_epoch != epoch || epoch != s.epoch) {
    // Not wanted any more. In this epoch the cancel we sent takes it back; a grant from
    // an earlier home goes straight back to it (it may still count it).
    if (epoch != s.epoch && target)
      self->send(target, pool_home_atom_v, pool_release{l.id, 0, lease_outcome::unused, -1, -1});
    return;
  }
  auto& p = i->second;
  auto id = s.next_lease++;
  pool_front_state::lease e;
  e.caller = p.caller;
  e.call_ticket = p.call_ticket;
  e.ticket = ticket;
  e.key_index = l.key_index;
  e.key_label = l.key_label;
  e.est_tokens = p.est_tokens;
  e.home_id = l.id;
  e.epoch = epoch;
  e.local = !target;  // from this node's engine
  // The home counts it from its grant: at least the time in its queue after our sending
  // (waited_ms is measured by the home from when the acquire arrived, rounded down).
  e.valid_from = p.sent_at + milliseconds{std::max<int64_t>(0, l.waited_ms)};
  s.leases.emplace(id, e);
  s.call_leases[std::make_pair(p.caller, p.call_ticket)] = id;
  front_watch(self, p.caller);
  auto waited = to_ms(now_of(self) - p.enqueued);
  p.rp.deliver(pool_lease{id, p.call_ticket, l.key_index, l.key_label, waited, 0});
  erase_pending(self, i);
}

void on_refused(front_ptr self, uint64_t ticket, uint64_t epoch, caf::error& err) {
  auto& s = self->state;
  auto i = s.pendings.find(ticket);
  if (i == s.pendings.end() || i->second.sent_epoch != epoch)
    return;
  bool moved = err == make_error(pool_errc::not_home)
               || err == make_error(pool_errc::shutting_down)
               || err == caf::sec::request_receiver_down || epoch != s.epoch;
  if (moved) {
    // The home changed under the request: send it again to the next one.
    i->second.sent_epoch = 0;
    front_plan_retry(self);
    return;
  }
  if (err == caf::sec::request_timeout)
    err = make_error(pool_errc::queue_timeout);  // the home went silent
  fail_pending(self, i, err);
}

void send_acquire(front_ptr self, uint64_t ticket) {
  auto& s = self->state;
  auto i = s.pendings.find(ticket);
  auto now = now_of(self);
  if (now >= i->second.deadline) {
    fail_pending(self, i, make_error(pool_errc::queue_timeout));
    return;
  }
  auto left = i->second.deadline - now;
  auto epoch = s.epoch;
  i->second.sent_epoch = epoch;
  i->second.sent_at = now;
  pool_acquire req{ticket, left, i->second.est_tokens};
  auto timeout = left + request_margin;
  if (s.engine) {
    self->request(s.engine, timeout, req)
      .then([=](pool_lease& l) { on_granted(self, ticket, epoch, pool_front_actor{}, l); },
            [=](caf::error& e) { on_refused(self, ticket, epoch, e); });
  } else {
    auto target = s.home_front;
    self->request(target, timeout, pool_home_atom_v, req)
      .then([=](pool_lease& l) { on_granted(self, ticket, epoch, target, l); },
            [=](caf::error& e) { on_refused(self, ticket, epoch, e); });
  }
}

// A lease of a call on this node is given back (released, cancelled after the grant,
// or its call died).
void give_back(front_ptr self, std::map<uint64_t, pool_front_state::lease>::iterator i,
               const pool_release& r) {
  auto& s = self->state;
  auto& l = i->second;
  if (l.epoch == s.epoch) {
    front_release_home(self, l.home_id, r);
  } else if (l.reported == s.epoch) {
    // In an adopt report on its way: released when the home's ids come back.
    if (!l.released) {
      l.released = true;
      l.release = r;
      s.call_leases.erase(std::make_pair(l.caller, l.call_ticket));
      front_unwatch(self, l.caller);
    }
    return;
  }
  // Otherwise it was taken from a home that is gone: nothing to return.
  s.call_leases.erase(std::make_pair(l.caller, l.call_ticket));
  auto who = l.caller;
  s.leases.erase(i);
  front_unwatch(self, who);
}

pool_front_actor::behavior_type front_impl(front_ptr self, pool_front_config cfg) {
  auto& s = self->state;
  s.cfg = std::move(cfg);
  {
    // Alone until the cluster actor says otherwise.
    pool_view v{s.cfg.node, {pool_member{s.cfg.node, pool_front_actor{self}}},
                s.cfg.clustered, {}};
    front_on_view(self, v);
  }
  if (s.cfg.lease_ttl.count() > 0)
    self->delayed_send(self, s.cfg.renew_interval, pool_renew_atom_v);
  if (s.cfg.stall_limit.count() > 0) {
    s.last_pulse = self->clock().now();
    self->delayed_send(self, caf::timespan{s.cfg.stall_limit} / 4, pool_pulse_atom_v);
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& s = self->state;
    if (front_home_down(self, dm))
      return;
    pool_release gone{0, -1, lease_outcome::unused, -1, -1};  // estimate stays charged
    for (auto i = s.leases.begin(); i != s.leases.end();) {
      auto next = std::next(i);
      if (i->second.caller == dm.source && !i->second.released) {
        gone.lease_id = i->first;
        give_back(self, i, gone);
      }
      i = next;
    }
    for (auto i = s.pendings.begin(); i != s.pendings.end();) {
      auto next = std::next(i);
      if (i->second.caller == dm.source) {
        if (i->second.sent_epoch == s.epoch)
          cancel_at_home(self, i->first);
        erase_pending(self, i);
      }
      i = next;
    }
    s.watched.erase(dm.source);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& s = self->state;
    while (!s.pendings.empty())
      fail_pending(self, s.pendings.begin(), make_error(pool_errc::shutting_down));
    if (s.engine)
      self->send_exit(s.engine, msg.reason);
    self->quit(msg.reason);
  });
  return {
    // -- calls on this node (the pool_actor interface) --
    [self](pool_acquire& req) -> caf::result<pool_lease> {
      front_check_authority(self);
      auto& s = self->state;
      auto who = caf::actor_cast<caf::actor_addr>(self->current_sender());
      if (!who)
        return caf::make_error(caf::sec::invalid_argument, "anonymous pool_acquire");
      if (s.call_pending.count(std::make_pair(who, req.ticket))
          || s.call_leases.count(std::make_pair(who, req.ticket)))
        return pool_errc::duplicate_ticket;
      auto now = now_of(self);
      auto cap = caf::timespan{s.cfg.pool.queue_timeout};
      auto wait = req.deadline <= caf::timespan{0} ? cap : std::min(req.deadline, cap);
      auto ticket = s.next_ticket++;
      auto rp = self->make_response_promise();
      s.pendings.emplace(ticket, pool_front_state::pending{who, req.ticket, req.est_tokens,
                                                           now, now + wait, rp, 0, now});
      s.call_pending[std::make_pair(who, req.ticket)] = ticket;
      front_watch(self, who);
      // Only for a request that is still here (no home) at its deadline.
      self->delayed_send(self, wait, pool_expire_atom_v, ticket);
      if (s.ph == pool_front_state::phase::ready)
        send_acquire(self, ticket);
      return rp;
    },
    [self](pool_release& r) {
      auto& s = self->state;
      auto i = s.leases.find(r.lease_id);
      if (i == s.leases.end() || i->second.released)
        return;
      give_back(self, i, r);
    },
    [self](pool_cancel& c) {
      auto& s = self->state;
      auto who = caf::actor_cast<caf::actor_addr>(self->current_sender());
      if (auto p = s.call_pending.find(std::make_pair(who, c.ticket)); p != s.call_pending.end()) {
        auto i = s.pendings.find(p->second);
        if (i->second.sent_epoch == s.epoch)
          cancel_at_home(self, i->first);
        fail_pending(self, i, make_error(pool_errc::cancelled));
      } else if (auto l = s.call_leases.find(std::make_pair(who, c.ticket)); l != s.call_leases.end()) {
        auto i = s.leases.find(l->second);
        give_back(self, i, pool_release{i->first, 0, lease_outcome::unused, -1, -1});
      }
    },
    [self](pool_expire_atom, uint64_t ticket) {
      auto& s = self->state;
      auto i = s.pendings.find(ticket);
      if (i == s.pendings.end() || i->second.sent_epoch != 0)
        return;  // answered, or the home answers at the deadline itself
      if (now_of(self) < i->second.deadline) {
        self->delayed_send(self, i->second.deadline - now_of(self), pool_expire_atom_v,
                           ticket);
        return;
      }
      fail_pending(self, i, make_error(pool_errc::queue_timeout));
    },
    [](pool_wake_atom) {},
    // -- lease renewal and fencing (pool_front_lease.cpp) --
    [self](pool_renew_atom) { front_renew(self); },
    [self](pool_pulse_atom) { front_pulse(self); },
    [self](pool_fence_atom) {
      front_check_authority(self);
      auto& s = self->state;
      if (s.fence_at && self->clock().now() >= *s.fence_at)
        s.fence_at.reset();
      front_check_fence(self);
    },
    [self](caf::get_atom) -> caf::result<pool_stats> {
      auto& s = self->state;
      auto rp = self->make_response_promise<pool_stats>();
      auto finish = [self, rp](pool_stats st) mutable {
        st.home = self->state.home;
        st.fenced = self->state.fenced_total;
        st.authority = self->state.authority_text(self->clock().now());
        st.node_active = 0;
        for (auto& [id, l] : self->state.leases)
          st.node_active += l.released ? 0 : 1;
        rp.deliver(std::move(st));
      };
      auto fallback = [self, finish](caf::error&) mutable {
        finish(self->state.local_stats());
      };
      // The pool's totals as the home keeps them (its engine's plus what it carried over
      // from former homes), remembered here for when this node becomes the home.
      auto epoch = s.epoch;
      auto seen = [self, epoch](const pool_stats& st) {
        if (self->state.epoch == epoch)
          self->state.last_totals = st;
      };
      if (s.engine)
        self->request(s.engine, std::chrono::milliseconds{500}, caf::get_atom_v)
          .then(
            [=](pool_stats& st) mutable {
              if (self->state.epoch == epoch)
                add_totals(st, self->state.carried);
              seen(st);
              finish(std::move(st));
            },
            fallback);
      else if (s.home_front)
        self->request(s.home_front, std::chrono::milliseconds{500}, caf::get_atom_v,
                      pool_home_atom_v)
          .then(
            [=](pool_stats& st) mutable {
              seen(st);
              finish(std::move(st));
            },
            fallback);
      else
        finish(s.local_stats());
      return rp;
    },
    [self](pool_retry_atom) {
      auto& s = self->state;
      s.retry_planned = false;
      if (s.ph == pool_front_state::phase::adopting && !s.adopt_in_flight)
        front_send_adopt(self);
      else
        front_flush(self);
    },
    // -- the cluster --
    [self](pool_view& v) {
      auto src = self->current_sender();
      if (src && src->node() == self->node())  // from this node's cluster actor only
        front_on_view(self, v);
    },
    [self](pool_adopt& a) { return front_on_adopt(self, a); },
    [self](pool_report_atom) { front_report_again(self); },
    [self](pool_handover_atom) { return front_hand_over(self); },
    [self](pool_handover& h) { front_on_handover(self, h); },
    // -- the home lease (pool_front_authority.cpp) --
    [self](coord_status& st) { front_on_coord_status(self, st); },
    [self](pool_authority_atom) { front_on_authority_check(self); },
    // -- other nodes' fronts, when this node is the home (delegated to the engine, so
    //    the engine sees the requesting front as the holder) --
    [self](pool_home_atom, pool_acquire& req) -> caf::result<pool_lease> {
      front_check_authority(self);
      auto& s = self->state;
      if (!s.is_home() || s.ph != pool_front_state::phase::ready || !s.engine
          || s.local_only())
        return pool_errc::not_home;
      return self->delegate(s.engine, std::move(req));
    },
    [self](pool_home_atom, pool_release& r) {
      if (self->state.is_home() && self->state.engine)
        self->send(self->state.engine, std::move(r));
    },
    [self](pool_home_atom, pool_renew& r) { return front_on_renew(self, r); },
    [self](pool_home_atom, pool_cancel& c) {
      if (self->state.is_home() && self->state.engine)
        self->delegate(self->state.engine, std::move(c));
    },
    [self](caf::get_atom, pool_home_atom) -> caf::result<pool_stats> {
      auto& s = self->state;
      if (!s.is_home() || !s.engine)
        return pool_errc::not_home;
      auto rp = self->make_response_promise<pool_stats>();
      auto epoch = s.epoch;
      self->request(s.engine, std::chrono::milliseconds{500}, caf::get_atom_v)
        .then(
          [=](pool_stats& st) mutable {
            if (self->state.epoch == epoch)
              add_totals(st, self->state.carried);
            rp.deliver(std::move(st));
          },
          [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      return rp;
    },
  };
}

} // namespace

void front_flush(front_ptr self) {
  auto& s = self->state;
  if (s.ph != pool_front_state::phase::ready)
    return;
  std::vector<uint64_t> unsent;
  for (auto& [ticket, p] : s.pendings)
    if (p.sent_epoch == 0)
      unsent.push_back(ticket);
  for (auto t : unsent)  // in arrival order: tickets grow
    send_acquire(self, t);
}

pool_front_actor spawn_pool_front(caf::actor_system& sys, pool_front_config cfg) {
  return sys.spawn(front_impl, std::move(cfg));
}

} // namespace sb
