// Planned leave of a pool's home (docs/design/cluster-leases.md, H15): a drained home
// hands its lease table to the node that is the home by the view without it, before it
// says it leaves. The successor counts every lease of the table until its holder reports
// it or it expires, so a holder it cannot hear from is still counted; with a coordinator
// it takes over the exact home lease claim the table was granted under, which proves that
// no other home granted in between, and grants at once instead of recovering.
#include <spdlog/spdlog.h>

#include <caf/exit_reason.hpp>

#include "actors/pool_front_state.hpp"

namespace sb {

namespace {

constexpr std::chrono::seconds table_timeout{2};

size_t lease_count(const pool_table& t) {
  size_t n = 0;
  for (auto& h : t.holders)
    n += h.leases.size();
  return n;
}

} // namespace

caf::result<bool> front_hand_over(front_ptr self) {
  auto& s = self->state;
  auto src = self->current_sender();
  if (!src || src->node() != self->node())
    return false;  // this node only
  if (!s.is_home() || !s.engine || s.share_mode || s.handed_over)
    return false;  // nothing to hand over: not the home, or a home alone
  std::vector<std::string> names;
  for (auto& m : s.members)
    if (m.name != s.cfg.node)
      names.push_back(m.name);
  auto next = pick_pool_home(s.cfg.pool.name, names);
  pool_front_actor next_front;
  for (auto& m : s.members)
    if (m.name == next)
      next_front = m.front;
  if (!next_front)
    return false;
  auto engine = s.engine;
  s.engine = nullptr;  // from now on every request here is answered not_home
  s.handed_over = true;
  auto claim = s.engine_claim;
  auto rp = self->make_response_promise<bool>();
  self->request(engine, table_timeout, pool_handover_atom_v)
    .then(
      [=](pool_table& t) mutable {
        auto& s = self->state;
        add_totals(t.totals, s.carried);
        auto n = lease_count(t);
        self->send(next_front, pool_handover{s.cfg.node, claim, std::move(t)});
        if (s.coordinated() && claim != 0)
          self->send(s.cfg.coordinator, coord_handed_atom_v, s.cfg.pool.name);
        spdlog::info("pool {}: this node leaves: the home goes to {} with its table ({} "
                     "lease(s){})",
                     s.cfg.pool.name, next, n,
                     claim != 0 ? ", home lease epoch " + std::to_string(claim) : "");
        rp.deliver(true);
      },
      [=](caf::error& e) mutable {
        spdlog::warn("pool {}: the engine did not hand its table over ({}): the next home "
                     "recovers as after a failure",
                     self->state.cfg.pool.name, to_string(e));
        self->send_exit(engine, caf::exit_reason::user_shutdown);
        rp.deliver(false);
      });
  return rp;
}

const pool_handover* front_live_handover(front_ptr self) {
  auto& s = self->state;
  if (!s.handed_in || self->clock().now() >= s.handed_until)
    return nullptr;
  return &*s.handed_in;
}

void front_on_handover(front_ptr self, pool_handover& h) {
  auto& s = self->state;
  auto src = self->current_sender();
  if (!src || src->address() == self->address() || s.cfg.lease_ttl.count() <= 0)
    return;  // from another front only; without expiry a table would never run out
  auto now = self->clock().now();
  spdlog::info("pool {}: {} handed the home over to this node ({} lease(s) in its table{})",
               s.cfg.pool.name, h.from, lease_count(h.table),
               h.coord_epoch != 0 ? ", home lease epoch " + std::to_string(h.coord_epoch)
                                  : "");
  auto epoch = h.coord_epoch;
  // The pool's totals as the leaving home had them: later than any stats poll here.
  if (s.is_home() && s.engine)
    s.carried = h.table.totals;
  else
    s.last_totals = h.table.totals;
  s.handed_in = std::move(h);
  s.handed_until = now + s.cfg.lease_ttl + s.cfg.lease_margin;
  if (s.is_home() && s.engine && !s.local_only())
    self->send(s.engine, s.handed_in->table);  // the engine running now counts it too
  if (s.coordinated() && epoch != 0 && s.is_home()) {
    s.want_home = true;
    self->send(s.cfg.coordinator, coord_takeover_atom_v, s.cfg.pool.name, epoch,
               pool_front_actor{self});
  }
}

} // namespace sb
