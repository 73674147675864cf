// The pool front, lease expiry: renewing the leases held at a remote home in one message
// per interval, and fencing: a lease that cannot be renewed before its deadline is taken
// from its call (the call closes the provider stream at once) before the home can count
// it as free. The home side answers renewals through its engine. Design and the reasons
// for each rule: docs/design/cluster-leases.md.
#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/pool_front_state.hpp"

namespace sb {

namespace {

using time_point = pool_front_state::time_point;

// Clocks of two machines may run at different rates: the holder gives up this fraction
// of the TTL early (1%: two orders of magnitude above what NTP-disciplined or even free
// running quartz clocks drift; see the design note).
constexpr int64_t drift_divisor = 100;

void plan_fence(front_ptr self) {
  auto& s = self->state;
  std::optional<time_point> first;
  for (auto& [id, l] : s.leases)
    if (s.fenceable(l)) {
      auto d = s.deadline(l);
      if (!first || d < *first)
        first = d;
    }
  if (!first || (s.fence_at && *s.fence_at <= *first))
    return;
  s.fence_at = *first;
  auto now = self->clock().now();
  self->delayed_send(self, *first > now ? *first - now : caf::timespan{0}, pool_fence_atom_v);
}

void on_renewed(front_ptr self, uint64_t epoch, time_point sent_at,
                const std::vector<uint64_t>& ids, pool_renewed& r) {
  auto& s = self->state;
  if (epoch != s.epoch || r.epoch != epoch || r.home != s.home)
    return;  // the answer of an earlier home (or for an earlier view of it): refused
  if (r.incarnation != 0 && s.home_incarnation != 0 && r.incarnation != s.home_incarnation)
    return;  // another process of that home (it restarted): not the one we reported to
  if (!front_claim_ok(self, r.home, r.coord_epoch))
    return;  // a home whose lease a later home has taken over since: refused
  s.home_ttl_ms = r.ttl_ms;
  std::set<uint64_t> unknown(r.unknown.begin(), r.unknown.end());
  for (auto id : ids) {
    auto i = s.leases.find(id);
    if (i == s.leases.end() || i->second.epoch != epoch)
      continue;
    if (unknown.count(i->second.home_id)) {
      front_revoke(self, i, "the home does not count it any more");
      continue;
    }
    i->second.valid_from = std::max(i->second.valid_from, sent_at);
  }
  // A renewal that came back late may already be too old for some lease.
  front_check_fence(self);
}

} // namespace

// Revokes one lease: the call is told to close the stream and drops the lease without a
// release (the home counts it until it expires there, which is the point).
void front_revoke(front_ptr self, std::map<uint64_t, pool_front_state::lease>::iterator i,
                  const char* why) {
  auto& s = self->state;
  auto id = i->first;
  auto l = i->second;
  if (l.borrowed && s.engine && l.epoch == s.epoch)  // counted in this node's engine too
    front_release_home(self, l.home_id, pool_release{0, -1, lease_outcome::unused, -1, -1});
  s.leases.erase(i);
  s.call_leases.erase(std::make_pair(l.caller, l.call_ticket));
  ++s.fenced_total;
  if (auto call = caf::actor_cast<caf::actor>(l.caller))
    caf::unsafe_send_as(self, call, pool_revoke_atom_v, id);  // a call actor: untyped
  front_unwatch(self, l.caller);
  spdlog::warn("pool {}: lease {} of a call on this node revoked: {}", s.cfg.pool.name, id,
               why);
}

caf::timespan pool_front_state::ttl() const {
  caf::timespan t = cfg.lease_ttl;
  if (home_ttl_ms > 0)
    t = std::min(t, caf::timespan{std::chrono::milliseconds{home_ttl_ms}});
  return t;
}

pool_front_state::time_point pool_front_state::deadline(const lease& l) const {
  auto t = ttl();
  return l.valid_from + t - t / drift_divisor;
}

void front_check_fence(front_ptr self) {
  auto& s = self->state;
  if (s.cfg.lease_ttl.count() <= 0)
    return;
  auto now = self->clock().now();
  for (auto i = s.leases.begin(); i != s.leases.end();) {
    auto next = std::next(i);
    if (s.fenceable(i->second) && now >= s.deadline(i->second))
      front_revoke(self, i, "not renewed with the home in time");
    i = next;
  }
  plan_fence(self);
}

void front_renew(front_ptr self) {
  auto& s = self->state;
  if (s.cfg.lease_ttl.count() <= 0)
    return;
  // First: a process that was frozen wakes up here (or in the fence timer) and must not
  // use a lease whose deadline passed while it slept, nor a home lease that ran out.
  front_check_fence(self);
  front_check_authority(self);
  self->delayed_send(self, s.cfg.renew_interval, pool_renew_atom_v);
  if (s.engine || !s.home_front)
    return;
  std::vector<uint64_t> ids;
  pool_renew msg{s.cfg.node, s.epoch, {}, s.cfg.incarnation};
  for (auto& [id, l] : s.leases)
    if (l.epoch == s.epoch && !l.released) {
      ids.push_back(id);
      msg.ids.push_back(l.home_id);
    }
  if (ids.empty())
    return;
  auto epoch = s.epoch;
  auto sent_at = self->clock().now();
  self->request(s.home_front, s.ttl(), pool_home_atom_v, std::move(msg))
    .then([=](pool_renewed& r) { on_renewed(self, epoch, sent_at, ids, r); },
          [](caf::error&) {
            // Lost or late: the next renewal tries again; the deadline decides.
          });
}

bool front_check_stall(front_ptr self) {
  auto& s = self->state;
  if (s.cfg.stall_limit.count() <= 0 || !s.last_pulse)
    return false;
  auto now = self->clock().now();
  caf::timespan limit = s.cfg.stall_limit;
  auto gap = now - *s.last_pulse;
  if (gap <= limit - limit / drift_divisor)
    return false;
  s.last_pulse = now;  // one finding per stall
  // Only a home that others may have replaced: one with members, without a coordinator
  // (with one, the home lease decides: H11).
  if (s.coordinated() || !s.is_home() || !s.engine || s.members.size() < 2)
    return false;
  // The others declare a member down failure_timeout after its last heartbeat, sent at
  // most heartbeat_interval before the stall began: a new home may have been elected and,
  // once its recovery ended, granted the whole limit, counting nothing of this engine's.
  spdlog::warn("pool {}: this node, the home, was stalled for {} ms (longer than the "
               "others wait before they declare it down): the streams its engine granted "
               "to its own calls close and it rebuilds from the members' reports",
               s.cfg.pool.name,
               std::chrono::duration_cast<std::chrono::milliseconds>(gap).count());
  for (auto i = s.leases.begin(); i != s.leases.end();) {
    auto next = std::next(i);
    if (i->second.epoch == s.epoch && !i->second.released && !i->second.borrowed)
      front_revoke(self, i, "this node (the home) was stalled past the failure timeout");
    i = next;
  }
  s.restart_engine = true;
  return true;
}

void front_pulse(front_ptr self) {
  auto& s = self->state;
  if (s.cfg.stall_limit.count() <= 0)
    return;
  front_check_authority(self);  // a stall found here is applied there
  s.last_pulse = self->clock().now();
  self->delayed_send(self, caf::timespan{s.cfg.stall_limit} / 4, pool_pulse_atom_v);
}

bool front_claim_ok(front_ptr self, const std::string& home, uint64_t coord) {
  auto& s = self->state;
  if (coord < s.max_claim_seen && home != s.max_claim_home)
    return false;
  s.max_claim_seen = coord;
  s.max_claim_home = home;
  return true;
}

void front_track_home(front_ptr self) {
  auto& s = self->state;
  if (s.monitored_home == s.home_front)
    return;
  if (s.monitored_home)
    self->demonitor(s.monitored_home.address());
  s.monitored_home = s.home_front;
  if (s.monitored_home)
    self->monitor(s.monitored_home);
}

bool front_home_down(front_ptr self, const caf::down_msg& dm) {
  auto& s = self->state;
  if (!s.monitored_home || dm.source != s.monitored_home.address())
    return false;
  s.monitored_home = nullptr;
  if (s.cfg.lease_ttl.count() <= 0)
    return true;
  // The link closed. Usually the home's process is gone, and with it its count: a new
  // home adopts our leases (which renews them). If instead the link was reset under a
  // live home, that home frees them lease_margin from now (its lock-delay): unless a new
  // home confirms them first, they are revoked after half of that.
  auto now = self->clock().now();
  auto t = s.ttl();
  auto cut = now + s.cfg.lease_margin / 2 - (t - t / drift_divisor);
  for (auto& [id, l] : s.leases)
    if (s.fenceable(l) && l.epoch == s.epoch)
      l.valid_from = std::min(l.valid_from, cut);
  front_check_fence(self);
  return true;
}

caf::result<pool_renewed> front_on_renew(front_ptr self, pool_renew& r) {
  front_check_authority(self);
  auto& s = self->state;
  // A home renews also while it rebuilds: it installs reports as they come.
  if (!s.is_home() || !s.engine || s.local_only())
    return pool_errc::not_home;  // views differ for a moment: the deadline decides
  // A member of the view whose report this engine has not installed: its leases are not
  // in this engine yet (its report is on the way, or went to an engine this node ran
  // before a stall), not expired. Ask for the report rather than call them unknown
  // (which revokes them); until it comes, its own deadline decides. A node outside the
  // view is answered by the engine (unknown: the home does not count them).
  auto member = std::find_if(s.members.begin(), s.members.end(),
                             [&](const pool_member& m) { return m.name == r.from; });
  if (r.from != s.cfg.node && member != s.members.end() && !s.reported.count(r.from)) {
    auto now = self->clock().now();
    auto asked = s.report_asked.find(r.from);
    if (member->front && (asked == s.report_asked.end() ||
                          now - asked->second >= caf::timespan{s.cfg.renew_interval})) {
      s.report_asked[r.from] = now;
      self->send(member->front, pool_report_atom_v);
    }
    return pool_errc::not_home;
  }
  // Delegated, so the engine sees the renewing front (the holder) as the sender.
  return self->delegate(s.engine, std::move(r));
}

} // namespace sb
