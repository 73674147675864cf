#include "actors/coordinator_actor.hpp"

#include <map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

namespace sb {

namespace {

using time_point = caf::actor_clock::time_point;
using std::chrono::milliseconds;

// The holder stops granting this fraction of the TTL early: the store's clock may run
// faster than ours (the same 1% as the pool leases, docs/design/cluster-leases.md).
constexpr int64_t drift_divisor = 100;

struct claim_state {
  pool_front_actor front;
  bool want = false;
  bool held = false;
  uint64_t epoch = 0;
  time_point valid_until{};
  time_point ready_at{};
  std::string holder;
  std::string trouble;  // last store trouble for this pool, "" = fine
};

struct coordinator_state {
  static inline const char* name = "coordinator";
  coordinator_config cfg;
  std::map<std::string, claim_state> pools;
  coordinator_health health{"ok", "waiting for the first answer"};
  std::string slow;  // the last slow call, "" = none
};

using coord_ptr = coordinator_actor::stateful_pointer<coordinator_state>;

int64_t ms_between(time_point a, time_point b) {
  return std::chrono::duration_cast<milliseconds>(b - a).count();
}

void update_health(coord_ptr self) {
  auto& s = self->state;
  auto now = self->clock().now();
  coordinator_health h;
  std::string trouble;
  bool lost = false;
  for (auto& [pool, c] : s.pools) {
    if (!c.want || c.trouble.empty())
      continue;
    trouble = c.trouble;
    lost = lost || !c.held || now >= c.valid_until;
  }
  auto where = s.cfg.store->where();
  if (!trouble.empty()) {
    h.state = lost ? "error" : "degraded";
    h.reason = "coordinator " + where + " unreachable: " + trouble +
               (lost ? "; pools without their home lease grant only their local share"
                     : "; the home leases held here are still valid");
  } else if (!s.slow.empty()) {
    h.state = "degraded";
    h.reason = "coordinator " + where + " slow: " + s.slow;
  }
  if (h.state == s.health.state && h.reason == s.health.reason)
    return;
  if (h.state == "ok" && s.health.state != "ok")
    spdlog::info("coordinator {}: answering again", where);
  else if (h.state == "error")
    spdlog::error("{}", h.reason);
  else
    spdlog::warn("{}", h.reason);
  s.health = h;
  if (s.cfg.report)
    s.cfg.report(h);
}

void tell(coord_ptr self, const std::string& pool, claim_state& c) {
  if (!c.front)
    return;
  coord_status st;
  st.pool = pool;
  st.held = c.held;
  st.epoch = c.epoch;
  st.valid_until = c.valid_until.time_since_epoch();
  st.ready_at = c.ready_at.time_since_epoch();
  st.holder = c.holder;
  st.reason = c.trouble;
  self->send(c.front, std::move(st));
}

// Claims (or renews) the pool's home lease; `from_epoch` != 0: takes over that claim,
// which its drained holder handed to this node with its lease table.
void claim(coord_ptr self, const std::string& pool, claim_state& c, uint64_t from_epoch = 0) {
  auto& s = self->state;
  auto sent = self->clock().now();
  auto r = from_epoch != 0 ? s.cfg.store->take_over(pool, s.cfg.owner, from_epoch, s.cfg.ttl)
                           : s.cfg.store->claim(pool, s.cfg.owner, s.cfg.ttl);
  auto done = self->clock().now();
  auto took = ms_between(sent, done);
  if (r.result != home_claim::outcome::unreachable) {
    s.slow = took > s.cfg.slow.count()
               ? "a claim of pool " + pool + " took " + std::to_string(took) + " ms"
               : "";
  }
  switch (r.result) {
    case home_claim::outcome::held: {
      if (r.handed) {
        // Handed over: every lease granted under the claim we took over is in the table
        // the front holds, and no claim came between (the store checked the epoch).
        c.ready_at = done;
        spdlog::info("coordinator {}: this node took over the home lease of pool {} from "
                     "the drained home's epoch {} (epoch {}); it grants at once",
                     s.cfg.store->where(), pool, from_epoch, r.epoch);
      } else if (!c.held || r.fresh || r.epoch != c.epoch) {
        // A new claim: a former home's leases may still be live for up to its TTL
        // after its own claim ran out (which was before ours began).
        c.ready_at = done + s.cfg.recovery;
        spdlog::info("coordinator {}: this node holds the home lease of pool {} (epoch "
                     "{}); it grants from {} ms on",
                     s.cfg.store->where(), pool, r.epoch, s.cfg.recovery.count());
      }
      c.held = true;
      c.epoch = r.epoch;
      c.valid_until = sent + s.cfg.ttl - s.cfg.ttl / drift_divisor;
      c.holder = s.cfg.owner;
      c.trouble.clear();
      break;
    }
    case home_claim::outcome::taken:
      if (c.held || c.holder != r.holder)
        spdlog::info("coordinator {}: the home lease of pool {} is held by {} (epoch {})",
                     s.cfg.store->where(), pool, r.holder, r.epoch);
      c.held = false;
      c.holder = r.holder;
      c.trouble.clear();
      break;
    case home_claim::outcome::unreachable:
      // Still held until valid_until (the front's own timer decides); then not.
      if (c.held && done >= c.valid_until)
        c.held = false;
      c.trouble = r.reason;
      break;
  }
  tell(self, pool, c);
}

coordinator_actor::behavior_type coordinator_impl(coord_ptr self, coordinator_config cfg) {
  self->state.cfg = std::move(cfg);
  self->send(self, coord_tick_atom_v);
  self->set_exit_handler([self](caf::exit_msg& em) {
    auto& s = self->state;
    for (auto& [pool, c] : s.pools)
      if (c.held)
        s.cfg.store->release(pool, s.cfg.owner);
    self->quit(em.reason);
  });
  return {
    [self](coord_want_atom, const std::string& pool, bool want, pool_front_actor& front) {
      auto& s = self->state;
      auto& c = s.pools[pool];
      c.front = std::move(front);
      if (want == c.want)
        return;
      c.want = want;
      if (want) {
        claim(self, pool, c);
      } else if (c.held) {
        s.cfg.store->release(pool, s.cfg.owner);
        c.held = false;
        c.holder.clear();
        tell(self, pool, c);
      }
      update_health(self);
    },
    [self](coord_takeover_atom, const std::string& pool, uint64_t from_epoch,
           pool_front_actor& front) {
      auto& s = self->state;
      auto& c = s.pools[pool];
      c.front = std::move(front);
      c.want = true;
      // A claim of our own after that epoch stands (the handed one ran out first).
      claim(self, pool, c, c.held && c.epoch > from_epoch ? 0 : from_epoch);
      update_health(self);
    },
    [self](coord_handed_atom, const std::string& pool) {
      // Not released: the successor takes this claim over while it is valid.
      auto& c = self->state.pools[pool];
      if (c.held)
        spdlog::info("coordinator {}: the home lease of pool {} (epoch {}) is handed over",
                     self->state.cfg.store->where(), pool, c.epoch);
      c.want = false;
      c.held = false;
      c.holder.clear();
      update_health(self);
    },
    [self](coord_tick_atom) {
      auto& s = self->state;
      for (auto& [pool, c] : s.pools)
        if (c.want)
          claim(self, pool, c);
      update_health(self);
      self->delayed_send(self, s.cfg.renew_interval, coord_tick_atom_v);
    },
  };
}

} // namespace

coordinator_actor spawn_coordinator(caf::actor_system& sys, coordinator_config cfg,
                                    bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(coordinator_impl, std::move(cfg));
  return sys.spawn(coordinator_impl, std::move(cfg));
}

} // namespace sb
