// The pool front and the home lease (one home at a time, docs/design/cluster-leases.md
// H10-H12): with a coordinator, a front that is its pool's home by the view asks the
// coordinator actor for the pool's home lease and grants from the full limit only while
// it holds it, after the recovery wait of a fresh claim. Every change of what it holds
// is applied like a change of the view: a new epoch and a new engine.
#include <spdlog/spdlog.h>

#include "actors/pool_front_state.hpp"

namespace sb {

namespace {

using time_point = pool_front_state::time_point;

int64_t ms_until(time_point now, time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count();
}

// The next instant what this front may do changes by itself: the end of the recovery
// wait, or the end of the lease unless it is renewed before.
void plan_check(front_ptr self) {
  auto& s = self->state;
  auto now = self->clock().now();
  if (!s.holds_lease(now))
    return;
  auto t = s.auth.ready_at > now ? s.auth.ready_at : s.auth.valid_until;
  if (s.auth_check_at && *s.auth_check_at > now && *s.auth_check_at <= t)
    return;
  s.auth_check_at = t;
  self->delayed_send(self, t - now, pool_authority_atom_v);
}

// Applies what it may do now: the same as receiving the current view again.
void reconsider(front_ptr self) {
  auto& s = self->state;
  pool_view v{s.cfg.node, s.members, s.share, s.left};
  front_on_view(self, v);
}

} // namespace

std::string pool_front_state::authority_text(time_point now) const {
  if (cfg.static_share)
    return "static share: " + std::to_string(cfg.local_share) + " of "
           + std::to_string(cfg.pool.max_active) + " per key, no home";
  if (!coordinated()) {
    if (is_home() && now < recover_until)
      return "recovering for " + std::to_string(ms_until(now, recover_until))
             + " ms: the former home left without handing over";
    return "";
  }
  if (!is_home())
    return "the home is " + home;
  if (holds_lease(now)) {
    auto text = "home lease, epoch " + std::to_string(auth.epoch);
    if (now < auth.ready_at)
      text += ", recovering for " + std::to_string(ms_until(now, auth.ready_at)) + " ms";
    return text;
  }
  if (!auth.reason.empty())
    return "no home lease: coordinator unreachable: " + auth.reason;
  if (auth.held)
    return "no home lease: it ran out without a renewal";
  if (!auth.holder.empty())
    return "no home lease: held by " + auth.holder;
  return "no home lease yet";
}

void front_want_home(front_ptr self, bool want) {
  auto& s = self->state;
  if (!s.coordinated() || (want == s.want_home && s.epoch != 0))
    return;
  s.want_home = want;
  if (!want)
    s.auth = pool_front_state::authority{};
  // A drained home handed its table over: take over its claim (no recovery wait).
  auto* h = want ? front_live_handover(self) : nullptr;
  pool_front_actor me{self};
  if (h && h->coord_epoch != 0)
    self->send(s.cfg.coordinator, coord_takeover_atom_v, s.cfg.pool.name, h->coord_epoch, me);
  else
    self->send(s.cfg.coordinator, coord_want_atom_v, s.cfg.pool.name, want, me);
}

void front_on_coord_status(front_ptr self, coord_status& st) {
  auto& s = self->state;
  auto src = self->current_sender();
  if (!s.coordinated() || !src || src->address() != s.cfg.coordinator.address()
      || st.pool != s.cfg.pool.name || !s.want_home)
    return;
  auto now = self->clock().now();
  bool had = s.holds_lease(now);
  s.auth.held = st.held;
  s.auth.epoch = st.epoch;
  s.auth.valid_until = time_point{st.valid_until};
  s.auth.ready_at = time_point{st.ready_at};
  s.auth.holder = st.holder;
  s.auth.reason = st.reason;
  if (had && !s.holds_lease(now))
    spdlog::warn("pool {}: this node lost the home lease: {}", s.cfg.pool.name,
                 s.authority_text(now));
  plan_check(self);
  reconsider(self);
}

void front_check_authority(front_ptr self) {
  if (front_check_stall(self)) {
    reconsider(self);  // the engine starts over
    return;
  }
  auto& s = self->state;
  if (s.coordinated() && s.engine_claim != 0 && !s.holds_lease(self->clock().now()))
    front_on_authority_check(self);
}

void front_on_authority_check(front_ptr self) {
  auto& s = self->state;
  auto now = self->clock().now();
  if (s.auth_check_at && now >= *s.auth_check_at)
    s.auth_check_at.reset();
  if (s.auth.held && now >= s.auth.valid_until)
    spdlog::warn("pool {}: the home lease (epoch {}) ran out without a renewal",
                 s.cfg.pool.name, s.auth.epoch);
  reconsider(self);
  plan_check(self);
}

} // namespace sb
