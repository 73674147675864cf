// Joining other nodes: connect through the middleman, prove the secret both ways, merge
// the welcome into the membership. Also the membership bookkeeping shared with
// cluster_actor.cpp.
#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/cluster/auth.hpp"
#include "actors/cluster/cluster_state.hpp"

namespace sb::cluster {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

bool split_address(const std::string& a, std::string& host, uint16_t& port) {
  auto colon = a.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  host = a.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto p = std::strtoul(a.c_str() + colon + 1, nullptr, 10);
  if (p == 0 || p > 65535)
    return false;
  port = static_cast<uint16_t>(p);
  return true;
}

// A refusal of this node by the cluster it has not joined yet is fatal: the operator must
// fix the config (secret, timing), not watch the node run alone.
void refused(cluster_actor_t* self, const std::string& address, const std::string& why) {
  auto& s = self->state;
  spdlog::error("cluster: {} refused this node: {}", address, why);
  if (!s.joined && !s.fatal_sent && s.o.fatal) {
    s.fatal_sent = true;
    s.o.fatal("the cluster refused this node (" + address + ": " + why + ")");
  }
}

void handshake(cluster_actor_t* self, const std::string& address, cluster_actor member) {
  auto& s = self->state;
  auto timeout = s.o.settings.failure_timeout + milliseconds{1000};
  auto nonce = make_nonce();
  cluster_hello hello{"member", s.o.name, s.o.address, s.o.incarnation, nonce,
                      s.o.settings.heartbeat_interval.count(),
                      s.o.settings.failure_timeout.count(), s.o.settings.lease_ttl.count(),
                      s.o.settings.lease_margin.count(), s.o.settings.coordinator,
                      s.o.settings.pool_limits};
  auto done = [self, address] { self->state.connecting.erase(address); };
  self->request(member, timeout, std::move(hello))
    .then(
      [=](cluster_challenge& c) {
        auto& s = self->state;
        if (!proofs_equal(c.proof, proof(s.o.settings.secret, "member", nonce))) {
          done();
          refused(self, address, "cluster secret mismatch (its proof does not match this node's [cluster] secret)");
          return;
        }
        cluster_join j{proof(s.o.settings.secret, "join", c.nonce), s.self_info()};
        self->request(member, timeout, std::move(j))
          .then(
            [=](cluster_welcome& w) {
              done();
              auto& s = self->state;
              s.joined = true;
              if (w.members.empty())
                return;
              admit(self, w.members.front(), member);
              for (size_t i = 1; i < w.members.size(); ++i) {
                auto& m = w.members[i];
                auto p = s.peers.find(m.name);
                bool known_up = p != s.peers.end() && p->second.info.state == member_state::up &&
                                p->second.info.incarnation == m.incarnation;
                if (m.name != s.o.name && m.state == member_state::up && !known_up)
                  join_address(self, m.address);
              }
            },
            [=](caf::error& e) {
              done();
              refused(self, address, self->system().render(e));
            });
      },
      [=](caf::error& e) {
        done();
        if (e.category() == cluster_error_category)
          refused(self, address, self->system().render(e));
        else
          spdlog::debug("cluster: hello to {} failed: {}", address, self->system().render(e));
      });
}

} // namespace

member_info cluster_state::self_info() const {
  member_info m;
  m.name = o.name;
  m.address = o.address;
  m.incarnation = o.incarnation;
  m.state = member_state::up;
  m.active_calls = o.active_calls ? o.active_calls() : 0;
  m.capacity = o.capacity;
  m.draining = o.draining ? o.draining() : false;
  return m;
}

std::vector<member_info> cluster_state::view(steady::time_point now) const {
  std::vector<member_info> out{self_info()};
  for (auto& [name, p] : peers) {
    auto m = p.info;
    m.last_heard_ms = duration_cast<milliseconds>(now - p.last_heard).count();
    out.push_back(std::move(m));
  }
  return out;
}

milliseconds cluster_state::retry_interval() const {
  auto r = std::max(milliseconds{500}, 2 * o.settings.heartbeat_interval);
  return std::min(r, milliseconds{5000});
}

void publish_view(cluster_actor_t* self) {
  if (self->state.o.report_view)
    self->state.o.report_view(self->state.view(self->clock().now()));
  push_pool_views(self);
}

void mark_down(cluster_actor_t* self, peer& p, const std::string& why) {
  if (p.info.state == member_state::down)
    return;
  spdlog::warn("cluster: {} ({}) is down: {}", p.info.name, p.info.address, why);
  p.info.state = member_state::down;
  p.info.down_reason = why;
  if (p.handle)
    self->demonitor(p.handle.address());
  p.handle = nullptr;
  p.fronts_known = false;
  publish_view(self);
}

void admit(cluster_actor_t* self, const member_info& info, cluster_actor handle) {
  auto& s = self->state;
  auto& p = s.peers[info.name];
  bool was_up = p.info.state == member_state::up && p.handle;
  bool restarted = p.info.incarnation != 0 && p.info.incarnation != info.incarnation;
  if (p.handle && p.handle != handle)
    self->demonitor(p.handle.address());
  p.info = info;
  p.info.state = member_state::up;
  p.info.down_reason.clear();
  p.info.last_heard_ms = 0;
  p.last_heard = self->clock().now();
  p.left = false;
  if (handle && p.handle != handle) {
    p.handle = handle;
    p.fronts_known = false;
    self->monitor(handle);
  }
  if (!p.fronts_known)
    fetch_fronts(self, info.name);
  s.trusted[handle.node()] = info.name;
  if (!was_up || restarted)
    spdlog::info("cluster: {} ({}) is up{}", info.name, info.address,
                 restarted ? " (restarted)" : "");
  publish_view(self);
}

void join_address(cluster_actor_t* self, const std::string& address) {
  auto& s = self->state;
  auto now = self->clock().now();
  if (address == s.o.address || s.connecting.count(address))
    return;
  if (auto t = s.next_try.find(address); t != s.next_try.end() && now < t->second)
    return;
  std::string host;
  uint16_t port = 0;
  if (!split_address(address, host, port)) {
    spdlog::warn("cluster: cannot join '{}': not HOST:PORT", address);
    return;
  }
  s.connecting.insert(address);
  s.next_try[address] = now + s.retry_interval();
  auto timeout = s.o.settings.failure_timeout + milliseconds{1000};
  self->request(s.o.connector, timeout, caf::connect_atom_v, host, port)
    .then(
      [=](caf::node_id& nid, caf::strong_actor_ptr& ptr, std::set<std::string>& ifs) {
        if (!ptr || nid == self->node()) {
          self->state.connecting.erase(address);
          if (!ptr)
            spdlog::warn("cluster: nothing published at {}", address);
          return;
        }
        if (ifs != self->system().message_types<cluster_actor>()) {
          // Another version of switchboard (or something else): its messages would not
          // match ours. Tried again after the retry interval, like an unreachable seed.
          self->state.connecting.erase(address);
          spdlog::warn("cluster: {} is not a switchboard node of this version (its cluster "
                       "interface differs): not joined",
                       address);
          return;
        }
        handshake(self, address, caf::actor_cast<cluster_actor>(ptr));
      },
      [=](caf::error& e) {
        self->state.connecting.erase(address);
        spdlog::debug("cluster: cannot reach {}: {}", address, self->system().render(e));
      });
}

} // namespace sb::cluster
