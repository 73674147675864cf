#include "actors/cluster/cluster_actor.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/cluster/auth.hpp"
#include "actors/cluster/cluster_state.hpp"

namespace sb::cluster {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds challenge_ttl{30000};

// The joiner's settings must equal ours: CAF's link heartbeats and our failure detector
// only agree when every node uses the same interval and timeout.
std::string settings_mismatch(const cluster_state& s, const cluster_hello& h) {
  auto hb = s.o.settings.heartbeat_interval.count();
  auto ft = s.o.settings.failure_timeout.count();
  auto ttl = s.o.settings.lease_ttl.count();
  auto margin = s.o.settings.lease_margin.count();
  if (h.coordinator != s.o.settings.coordinator)
    // A node without the coordinator would grant as a home without the home lease.
    return "coordinator '" + h.coordinator + "', this cluster uses '" +
           s.o.settings.coordinator + "'";
  if (h.pool_limits != s.o.settings.pool_limits)
    // A home would grant the whole limit beside nodes that keep to their shares.
    return "pool_limits '" + h.pool_limits + "', this cluster uses '" +
           s.o.settings.pool_limits + "'";
  if (h.heartbeat_ms == hb && h.failure_timeout_ms == ft && h.lease_ttl_ms == ttl
      && h.lease_margin_ms == margin)
    return "";
  // A holder fences on its TTL and half its margin, the home frees on its own: they must
  // agree (docs/design/cluster-leases.md).
  if (h.heartbeat_ms == hb && h.failure_timeout_ms == ft)
    return "lease_ttl/lease_margin " + std::to_string(h.lease_ttl_ms) + "/" +
           std::to_string(h.lease_margin_ms) + " ms, this cluster uses " +
           std::to_string(ttl) + "/" + std::to_string(margin) + " ms";
  return "heartbeat_interval/failure_timeout " + std::to_string(h.heartbeat_ms) + "/" +
         std::to_string(h.failure_timeout_ms) + " ms, this cluster uses " +
         std::to_string(hb) + "/" + std::to_string(ft) + " ms";
}

// A member is declared down for silence this node saw while it was running. A tick that
// comes late by more than a heartbeat interval means this node itself was stalled (frozen,
// starved of CPU): the members' heartbeats of that time are still unread in its sockets
// and mailbox, so the stall does not count as their silence. Without this, a node that
// wakes would declare every other member down at once and, alone, grant its pools' local
// shares beside the streams the others still hold (docs/design/cluster-leases.md, H16).
void discount_own_stall(cluster_actor_t* self, caf::actor_clock::time_point now) {
  auto& s = self->state;
  auto last = s.last_tick;
  s.last_tick = now;
  if (!last)
    return;
  auto hb = s.o.settings.heartbeat_interval;
  auto late = now - *last - caf::timespan{hb};
  if (late <= caf::timespan{hb})
    return;
  for (auto& [name, p] : s.peers)
    if (p.info.state == member_state::up)
      p.last_heard = std::min(now, p.last_heard + late);
  spdlog::warn("cluster: this node was stalled for {} ms (its heartbeat timer ran late): "
               "that time does not count as the members' silence",
               std::chrono::duration_cast<milliseconds>(late).count());
}

void on_tick(cluster_actor_t* self) {
  auto& s = self->state;
  auto now = self->clock().now();
  discount_own_stall(self, now);
  cluster_heartbeat hb{s.self_info(), {}};
  for (auto& [name, p] : s.peers)
    if (p.info.state == member_state::up)
      hb.known.push_back(p.info);
  bool any_up = false;
  for (auto& [name, p] : s.peers) {
    if (p.info.state != member_state::up)
      continue;
    if (now - p.last_heard > s.o.settings.failure_timeout) {
      auto ms = std::chrono::duration_cast<milliseconds>(now - p.last_heard).count();
      mark_down(self, p, "no heartbeat for " + std::to_string(ms) + " ms");
      continue;
    }
    any_up = true;
    self->send(p.handle, hb);
  }
  // Rejoin: members that failed (not those that left), and the seeds while alone.
  std::vector<std::string> retry;
  for (auto& [name, p] : s.peers)
    if (p.info.state == member_state::down && !p.left)
      retry.push_back(p.info.address);
  if (!any_up)
    for (auto& seed : s.o.settings.seeds)
      retry.push_back(seed.host + ":" + std::to_string(seed.port));
  for (auto& a : retry)
    join_address(self, a);
  for (auto i = s.challenges.begin(); i != s.challenges.end();)
    i = now - i->second.at > challenge_ttl ? s.challenges.erase(i) : std::next(i);
  publish_view(self);
  self->delayed_send(self, s.o.settings.heartbeat_interval, cluster_tick_atom_v);
}

bool local(cluster_actor_t* self) {
  auto src = self->current_sender();
  return src && src->node() == self->node();
}

bool trusted(cluster_actor_t* self) {
  auto src = self->current_sender();
  if (!src)
    return false;
  return src->node() == self->node() || self->state.trusted.count(src->node()) > 0;
}

cluster_actor::behavior_type cluster_impl(cluster_actor_t* self, cluster_options opts) {
  auto& s = self->state;
  s.o = std::move(opts);
  s.joined = s.o.settings.seeds.empty();
  if (s.o.make_console)
    s.console = s.o.make_console(cluster_actor{self});
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& [name, p] : self->state.peers)
      if (p.handle && p.handle.address() == dm.source)
        mark_down(self, p, "link closed");
  });
  self->set_exit_handler([self](caf::exit_msg& em) {
    if (self->state.console)
      self->send_exit(self->state.console, em.reason);
    self->quit(em.reason);
  });
  return {
    // From start_cluster once the port is bound: the address to advertise; starts the
    // heartbeat timer (and with it joining the seeds).
    [self](caf::publish_atom, const std::string& address) {
      auto& s = self->state;
      if (!local(self) || !s.o.address.empty())
        return;
      s.o.address = address;
      self->send(self, cluster_tick_atom_v);
    },
    [self](cluster_tick_atom) {
      if (local(self))
        on_tick(self);
    },
    [self](cluster_hello& h) -> caf::result<cluster_challenge> {
      auto& s = self->state;
      auto src = self->current_sender();
      if (!src)
        return make_error(cluster_errc::not_authorized, "anonymous hello");
      if (h.role == "member") {
        if (auto why = settings_mismatch(s, h); !why.empty()) {
          spdlog::error("cluster: refused {} ({}): {}", h.name, h.address, why);
          return make_error(cluster_errc::settings_mismatch, why);
        }
        if (h.name == s.o.name)
          return make_error(cluster_errc::name_conflict,
                            "node name '" + h.name + "' is already used by " + s.o.address);
      } else if (h.role != "console") {
        return make_error(cluster_errc::not_authorized, "unknown role '" + h.role + "'");
      }
      challenge c{make_nonce(), h, self->clock().now()};
      auto reply = cluster_challenge{c.nonce, proof(s.o.settings.secret, "member", h.nonce)};
      s.challenges[src->node()] = std::move(c);
      return reply;
    },
    [self](cluster_join& j) -> caf::result<cluster_welcome> {
      auto& s = self->state;
      auto src = self->current_sender();
      auto it = src ? s.challenges.find(src->node()) : s.challenges.end();
      if (it == s.challenges.end())
        return make_error(cluster_errc::no_challenge, "send cluster_hello first");
      auto c = std::move(it->second);
      s.challenges.erase(it);
      if (!proofs_equal(j.proof, proof(s.o.settings.secret, "join", c.nonce))) {
        spdlog::warn("cluster: refused {} {} ({}): wrong cluster secret", c.hello.role,
                     c.hello.name, c.hello.address);
        return make_error(cluster_errc::bad_secret, "wrong cluster secret");
      }
      if (c.hello.role == "console") {
        s.trusted[src->node()] = "";
        spdlog::info("cluster: console connected from {}", to_string(src->node()));
      } else {
        auto info = j.self;
        info.name = c.hello.name;  // what the proof was made for
        info.incarnation = c.hello.incarnation;
        admit(self, info, caf::actor_cast<cluster_actor>(src));
      }
      return cluster_welcome{s.view(self->clock().now())};
    },
    [self](cluster_heartbeat& hb) {
      auto& s = self->state;
      auto src = self->current_sender();
      if (!src)
        return;
      auto t = s.trusted.find(src->node());
      if (t == s.trusted.end() || t->second != hb.self.name)
        return;  // not proven, or a console
      auto p = s.peers.find(hb.self.name);
      if (p == s.peers.end() || p->second.info.incarnation != hb.self.incarnation)
        return;  // a restarted node joins again first
      if (p->second.info.state == member_state::down)
        admit(self, hb.self, caf::actor_cast<cluster_actor>(src));
      auto& info = p->second.info;
      info.active_calls = hb.self.active_calls;
      info.capacity = hb.self.capacity;
      info.draining = hb.self.draining;
      p->second.last_heard = self->clock().now();
      // Gossip: join the members it knows and we do not (or know as down).
      for (auto& k : hb.known) {
        if (k.name == s.o.name)
          continue;
        auto q = s.peers.find(k.name);
        if (q == s.peers.end() || q->second.info.state == member_state::down ||
            q->second.info.incarnation != k.incarnation)
          join_address(self, k.address);
      }
    },
    [self](cluster_leave& l) {
      auto& s = self->state;
      auto src = self->current_sender();
      auto p = s.peers.find(l.name);
      if (!src || p == s.peers.end() || p->second.info.incarnation != l.incarnation)
        return;
      if (auto t = s.trusted.find(src->node()); t == s.trusted.end() || t->second != l.name)
        return;
      p->second.left = true;
      mark_down(self, p->second, "left");
    },
    [self](cluster_view_atom) -> caf::result<std::vector<member_info>> {
      if (!trusted(self))
        return make_error(cluster_errc::not_authorized, "prove the cluster secret first");
      return self->state.view(self->clock().now());
    },
    [self](console_request& r) -> caf::result<console_answer> {
      if (!trusted(self))
        return make_error(cluster_errc::not_authorized,
                          "prove the cluster secret first (cluster_hello, cluster_join)");
      if (!self->state.console)
        return make_error(cluster_errc::bad_command, "this node has no console");
      self->delegate(self->state.console, std::move(r));
      return caf::delegated<console_answer>{};
    },
    [self](cluster_forward_atom, const std::string& node,
           console_request& r) -> caf::result<console_answer> {
      auto& s = self->state;
      if (!trusted(self))
        return make_error(cluster_errc::not_authorized, "prove the cluster secret first");
      if (node == s.o.name) {
        self->delegate(s.console, std::move(r));
        return caf::delegated<console_answer>{};
      }
      auto p = s.peers.find(node);
      if (p == s.peers.end() || p->second.info.state != member_state::up || !p->second.handle)
        return make_error(cluster_errc::unknown_node, "no member '" + node + "' is up");
      // A request, not a delegation: the member trusts this node, not the console.
      r.forwarded = true;
      auto rp = self->make_response_promise<console_answer>();
      self->request(p->second.handle, std::chrono::seconds{10}, std::move(r))
        .then([rp](console_answer& reply) mutable { rp.deliver(std::move(reply)); },
              [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
      return rp;
    },
    [self](cluster_shutdown_atom) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      if (!local(self))
        return make_error(cluster_errc::not_authorized, "local only");
      for (auto& [name, p] : s.peers)
        if (p.info.state == member_state::up && p.handle)
          self->send(p.handle, cluster_leave{s.o.name, s.o.incarnation});
      return caf::ok_atom_v;
    },
    [self](mailbox_atom) { return static_cast<uint64_t>(self->mailbox().size()); },
    [self](pool_fronts_atom) -> caf::result<pool_fronts> {
      if (!trusted(self))
        return make_error(cluster_errc::not_authorized, "prove the cluster secret first");
      return self->state.o.fronts;
    },
  };
}

} // namespace

cluster_actor spawn_cluster(caf::actor_system& sys, cluster_options opts) {
  return sys.spawn(cluster_impl, std::move(opts));
}

} // namespace sb::cluster
