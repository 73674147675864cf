// The cluster side of cluster-wide pools: learning each member's pool fronts and telling
// this node's fronts which members are up (docs/pools.md, "Cluster-wide pools").
#include <caf/actor_cast.hpp>
#include <spdlog/spdlog.h>

#include "actors/cluster/cluster_state.hpp"

namespace sb::cluster {

void fetch_fronts(cluster_actor_t* self, const std::string& name) {
  auto& s = self->state;
  auto p = s.peers.find(name);
  if (p == s.peers.end() || !p->second.handle || s.o.fronts.names.empty()
      || p->second.fronts_asked)
    return;
  p->second.fronts_asked = true;
  auto handle = p->second.handle;
  self->request(handle, s.o.settings.failure_timeout + std::chrono::seconds{1},
                pool_fronts_atom_v)
    .then(
      [=](pool_fronts& f) {
        auto p = self->state.peers.find(name);
        if (p == self->state.peers.end())
          return;
        p->second.fronts_asked = false;
        if (p->second.handle != handle)
          return;  // down or restarted meanwhile: asked again
        p->second.fronts = std::move(f);
        p->second.fronts_known = true;
        push_pool_views(self);
      },
      [=](caf::error& e) {
        // Usually: it has not finished admitting this node yet. Asked again next tick.
        if (auto p = self->state.peers.find(name); p != self->state.peers.end())
          p->second.fronts_asked = false;
        spdlog::debug("cluster: {} did not list its pools yet: {}", name,
                      self->system().render(e));
      });
}

void push_pool_views(cluster_actor_t* self) {
  auto& s = self->state;
  for (auto& [name, p] : s.peers)
    if (p.info.state == member_state::up && !p.fronts_known && !p.fronts_asked)
      fetch_fronts(self, name);
  auto& mine = s.o.fronts;
  // Alone although part of a cluster (seeds, or members seen): local share.
  bool share = !s.o.settings.seeds.empty() || !s.peers.empty();
  for (size_t i = 0; i < mine.names.size() && i < mine.fronts.size(); ++i) {
    pool_view v{s.o.name, {pool_member{s.o.name, mine.fronts[i]}}, false, {}};
    for (auto& [name, p] : s.peers) {
      if (p.info.state != member_state::up || !p.fronts_known)
        continue;
      auto& f = p.fronts;
      for (size_t k = 0; k < f.names.size() && k < f.fronts.size(); ++k)
        if (f.names[k] == mine.names[i] && f.fronts[k])
          v.members.push_back(pool_member{name, f.fronts[k]});
    }
    v.share = share && v.members.size() == 1;
    for (auto& [name, p] : s.peers)
      if (p.info.state == member_state::down && p.left)
        v.left.push_back(name);
    std::string digest = v.share ? "share" : "";
    for (auto& n : v.left)
      digest += "|left:" + n;
    for (auto& m : v.members)
      digest += "|" + m.name + "#" + std::to_string(m.front.id()) + "@" +
                to_string(m.front.node());
    auto& last = s.pool_views[mine.names[i]];
    if (last == digest)
      continue;
    last = digest;
    self->send(mine.fronts[i], std::move(v));
  }
}

} // namespace sb::cluster
