// The pool front, home side: choosing the home from the view, running the engine when
// this node is the home, and the takeover: a new home installs the leases every live
// member reports (and its own) before it grants anything.
#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <spdlog/spdlog.h>

#include "actors/pool_actor.hpp"
#include "actors/pool_front_state.hpp"

namespace sb {

namespace {

using phase = pool_front_state::phase;

constexpr std::chrono::seconds adopt_timeout{30};
constexpr std::chrono::seconds engine_timeout{10};

// Installs a report in the engine and answers the reporting front.
void install(front_ptr self, pool_adopt msg, caf::typed_response_promise<pool_adopted> rp) {
  self->state.adopted_total += msg.leases.size();
  self->state.reported.insert(msg.from);
  self->request(self->state.engine, engine_timeout, std::move(msg))
    .then([rp](pool_adopted& a) mutable { rp.deliver(std::move(a)); },
          [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
}

// Installs this node's own calls' leases in the new engine (`borrow`: alone, those taken
// from a remote home stay fenceable); returns how many.
size_t adopt_own(front_ptr self, bool borrow) {
  auto& s = self->state;
  std::vector<uint64_t> ids;
  auto held = front_report(self, ids, borrow);
  if (held.empty())
    return 0;
  // Sent before any acquire: the engine installs them first (mailbox order).
  auto epoch = s.epoch;
  self->request(s.engine, engine_timeout,
                pool_adopt{s.cfg.node, caf::actor_cast<caf::actor>(self), std::move(held),
                           s.cfg.incarnation})
    .then([=](pool_adopted& a) { front_apply_adopted(self, epoch, ids, a, {}); },
          [](caf::error&) {});
  return ids.size();
}

void become_home(front_ptr self) {
  auto& s = self->state;
  // The totals so far (the former home's, as last seen here: at most one stats poll
  // old) go on in the new engine; unseen since the last hand-over: those carried then.
  if (s.last_totals)
    s.carried = *s.last_totals;
  s.last_totals.reset();
  auto cfg = s.cfg.pool;
  if (s.share_mode && s.cfg.local_share > 0)
    cfg.max_active = std::min(cfg.max_active, s.cfg.local_share);
  s.ph = phase::rebuilding;
  s.reported.clear();  // a new engine: it knows no member's leases yet
  s.report_asked.clear();
  s.rebuild_installed = 0;
  if (s.local_only()) {
    // Coordinated, without the home lease: whoever holds it counts the other nodes'
    // leases, and ours from it until they run out (borrowed: counted here against the
    // local share, still revoked by their deadline).
    // Not worth a warning while the first claim is on its way.
    auto level = s.auth.reason.empty() && s.auth.holder.empty() ? spdlog::level::info
                                                                : spdlog::level::warn;
    if (s.cfg.local_share == 0) {
      spdlog::log(level, "pool {}: this node ({}) is the home by the view but {}: it grants "
                  "nothing (local_share 0)",
                  cfg.name, s.cfg.node, s.authority_text(self->clock().now()));
      return;  // acquires wait in the front until their deadline or the lease
    }
    auto me = caf::actor_cast<caf::actor_addr>(self);
    s.engine = spawn_pool_engine(self->system(), cfg,
                                 lease_expiry{me, s.cfg.node, s.cfg.lease_ttl,
                                              s.cfg.lease_margin, 0, s.cfg.incarnation});
    spdlog::log(level, "pool {}: this node ({}) is the home by the view but {}: it grants "
                "only its local share ({}) to its own calls",
                cfg.name, s.cfg.node, s.authority_text(self->clock().now()), cfg.max_active);
    adopt_own(self, true);
    front_finish_rebuild(self);
    return;
  }
  auto me = caf::actor_cast<caf::actor_addr>(self);
  s.engine = spawn_pool_engine(self->system(), cfg,
                               lease_expiry{me, s.cfg.node, s.cfg.lease_ttl, s.cfg.lease_margin,
                                            s.engine_claim, s.cfg.incarnation});
  for (auto& m : s.members)
    if (m.name != s.cfg.node)
      s.waiting_for.insert(m.name);
  // A drained home's table: its leases are counted before anything is granted (mailbox
  // order), until their holders report them or they expire.
  if (auto* h = front_live_handover(self))
    self->send(s.engine, h->table);
  // Alone (share mode): a remote home it took leases from may be alive on the other side
  // of a split, counting them until they expire: they count against the local share
  // here and still run out by their deadline (borrowed).
  auto n = adopt_own(self, s.share_mode);
  // Every member reports to the new engine, also those that had reported to this node
  // before (when it was home alone) and those refused while it did not know yet.
  for (auto& m : s.members)
    if (m.name != s.cfg.node && m.front)
      self->send(m.front, pool_report_atom_v);
  spdlog::info("pool {}: this node ({}) is the home{}; {} lease(s) held here, waiting for "
               "{} member(s)",
               cfg.name, s.cfg.node, s.share_mode ? " with its local share" : "",
               n, s.waiting_for.size());
  front_finish_rebuild(self);
}

} // namespace

void front_on_view(front_ptr self, pool_view& v) {
  auto& s = self->state;
  if (s.handed_over)
    return;  // this node leaves: its successor is the home
  if (s.cfg.static_share) {
    // Static shares: alone whatever the view (its own home, its local share).
    v.members.clear();
    v.share = true;
    v.left.clear();
  }
  // A process that slept through its deadlines may see the new view first: no lease
  // past its deadline is reported or used, and a home that stalled starts over.
  front_check_fence(self);
  front_check_stall(self);
  s.members = std::move(v.members);
  s.share = v.share;
  s.left = std::move(v.left);
  bool has_self = false;
  for (auto& m : s.members)
    has_self = has_self || m.name == s.cfg.node;
  if (!has_self)
    s.members.push_back(pool_member{s.cfg.node, pool_front_actor{self}});
  std::vector<std::string> names;
  pool_front_actor home_front;
  for (auto& m : s.members)
    names.push_back(m.name);
  auto home = pick_pool_home(s.cfg.pool.name, names);
  for (auto& m : s.members)
    if (m.name == home)
      home_front = m.front;
  bool self_home = home == s.cfg.node;
  auto now = self->clock().now();
  // Alone in a cluster: the local share. With a coordinator, the home lease decides
  // instead: a home without it serves only its own calls from its local share.
  bool share_mode = home == s.cfg.node && names.size() == 1 && v.share;
  uint64_t claim = 0;
  if (s.coordinated()) {
    front_want_home(self, self_home);
    share_mode = self_home && !s.holds_lease(now);
    claim = self_home && !share_mode ? s.auth.epoch : 0;
  }
  if (s.epoch != 0 && home == s.home && share_mode == s.share_mode && claim == s.engine_claim
      && (self_home || home_front == s.home_front) && !s.restart_engine) {
    front_finish_rebuild(self);  // a member we waited for may have gone (or recovery ended)
    return;
  }
  if (s.coordinated() && self_home && s.is_home() && s.engine && s.engine_claim != 0
      && share_mode) {
    // The home lease ran out: another node may get it once the store drops it, and will
    // count nothing of ours. The streams this engine granted here close now.
    for (auto i = s.leases.begin(); i != s.leases.end();) {
      auto next = std::next(i);
      if (i->second.epoch == s.epoch && !i->second.released)
        front_revoke(self, i, "this node lost the pool's home lease");
      i = next;
    }
  }
  // A new home: what was sent to the old one is void. Leases of this node's engine were
  // counted nowhere else: from now on they need the new home (adopt report, renewals).
  if (s.engine)
    for (auto& [id, l] : s.leases)
      if (l.epoch == s.epoch && !l.borrowed)  // a borrowed one keeps its deadline
        l.valid_from = now;
  ++s.epoch;
  s.home_ttl_ms = 0;
  s.home_incarnation = 0;
  if (s.engine) {
    self->send_exit(s.engine, caf::exit_reason::user_shutdown);
    s.engine = nullptr;
  }
  s.waiting_for.clear();
  for (auto& [t, p] : s.pendings)
    p.sent_epoch = 0;
  s.restart_engine = false;
  if (!s.home.empty() || !self_home)
    spdlog::info("pool {}: home is now {} (was {})", s.cfg.pool.name, home,
                 s.home.empty() ? "-" : s.home);
  // Takeover from a home that left the view without handing over (H13): its own calls'
  // leases were counted only by its engine, and their streams may still be open (a
  // frozen or cut-off home). Without a coordinator nothing else outwaits them.
  // A home that left (drained: its calls ended before it said so) has nothing of its own.
  // A node alone grants its local share at once: that is what shares are for (the
  // account tolerates max_active + local_share, docs/pools.md).
  auto named = [&](const std::string& n) { return n == s.home; };
  if (self_home && !share_mode && !s.coordinated() && s.cfg.lease_ttl.count() > 0
      && !s.home.empty()
      && s.home != s.cfg.node
      && std::none_of(s.members.begin(), s.members.end(),
                      [&](const pool_member& m) { return m.name == s.home; })
      && std::none_of(s.left.begin(), s.left.end(), named)) {
    auto until = now + s.cfg.lease_ttl + s.cfg.lease_margin;
    if (until > s.recover_until) {
      s.recover_until = until;
      self->delayed_send(self, until - now, pool_authority_atom_v);
    }
    spdlog::warn("pool {}: the former home {} left without handing over: this node grants "
                 "nothing for {} ms (lease_ttl + lease_margin), until its calls' streams "
                 "are closed",
                 s.cfg.pool.name, s.home,
                 std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count());
  }
  s.home = home;
  s.share_mode = share_mode;
  s.engine_claim = claim;
  s.home_front = nullptr;
  s.adopt_in_flight = false;
  if (self_home) {
    front_track_home(self);
    become_home(self);
  } else {
    s.home_front = home_front;
    front_track_home(self);
    s.ph = phase::adopting;
    front_send_adopt(self);
  }
}

void front_report_again(front_ptr self) {
  auto& s = self->state;
  auto src = self->current_sender();
  if (!src || !s.home_front || src->address() != s.home_front.address())
    return;  // only our home may ask
  ++s.epoch;
  s.home_incarnation = 0;
  for (auto& [t, p] : s.pendings)
    p.sent_epoch = 0;
  s.ph = phase::adopting;
  front_send_adopt(self);
}

void front_send_adopt(front_ptr self) {
  auto& s = self->state;
  auto epoch = s.epoch;
  auto sent_at = self->clock().now();
  std::vector<uint64_t> ids;
  auto held = front_report(self, ids);
  s.adopt_in_flight = true;
  self->request(s.home_front, adopt_timeout,
                pool_adopt{s.cfg.node, nullptr, std::move(held), s.cfg.incarnation})
    .then(
      [=](pool_adopted& a) {
        auto& s = self->state;
        if (epoch != s.epoch)
          return;
        s.adopt_in_flight = false;
        s.home_incarnation = a.incarnation;  // renewal answers must come from this one
        front_apply_adopted(self, epoch, ids, a, sent_at);
        s.ph = phase::ready;
        front_flush(self);
      },
      [=](caf::error&) {
        auto& s = self->state;
        if (epoch != s.epoch)
          return;
        // The home does not know yet that it is the home (views differ for a moment),
        // or it did not answer: report again.
        s.adopt_in_flight = false;
        front_plan_retry(self);
      });
}

void front_finish_rebuild(front_ptr self) {
  auto& s = self->state;
  if (s.ph != phase::rebuilding || !s.engine)
    return;  // (no engine: coordinated, without the home lease and no local share)
  for (auto i = s.waiting_for.begin(); i != s.waiting_for.end();) {
    bool live = false;
    for (auto& m : s.members)
      live = live || m.name == *i;
    i = live ? std::next(i) : s.waiting_for.erase(i);  // down: its leases went with it
  }
  if (!s.waiting_for.empty())
    return;
  if (s.engine_claim != 0 && self->clock().now() < s.auth.ready_at)
    return;  // a fresh home lease: no grant before a former home's leases ran out
  if (!s.coordinated() && self->clock().now() < s.recover_until)
    return;  // a takeover: no grant before the former home's own streams are closed
  s.ph = phase::ready;
  spdlog::info("pool {}: home {} ready ({} lease(s) adopted from other nodes)",
               s.cfg.pool.name, s.cfg.node, s.rebuild_installed);
  front_flush(self);
}

caf::result<pool_adopted> front_on_adopt(front_ptr self, pool_adopt& a) {
  front_check_authority(self);
  auto& s = self->state;
  if (!s.is_home() || !s.engine || s.local_only())
    return pool_errc::not_home;
  a.holder = caf::actor_cast<caf::actor>(self->current_sender());
  if (!a.holder)
    return caf::make_error(caf::sec::invalid_argument, "anonymous pool_adopt");
  auto rp = self->make_response_promise<pool_adopted>();
  if (s.ph == phase::rebuilding) {
    // Installed at once, also while the rebuild waits for other members or a recovery:
    // the reporter's leases are counted and renewed from now on, so a slow rebuild
    // (longer than their TTL) does not revoke them. Nothing is granted before the end:
    // acquires are refused (not_home) until the phase is ready.
    s.waiting_for.erase(a.from);
    s.rebuild_installed += a.leases.size();
    install(self, std::move(a), rp);
    front_finish_rebuild(self);
    return rp;
  }
  install(self, std::move(a), rp);
  return rp;
}

} // namespace sb
