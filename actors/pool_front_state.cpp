// Bookkeeping of the pool front shared by pool_front.cpp and pool_front_home.cpp:
// monitoring of calls, releases to the home, adopt reports, local stats, the home choice.
#include "actors/pool_front_state.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

namespace sb {

namespace {

constexpr std::chrono::milliseconds retry_every{100};

} // namespace

void front_watch(front_ptr self, const caf::actor_addr& who) {
  if (who && self->state.watched[who]++ == 0)
    self->monitor(who);
}

void front_unwatch(front_ptr self, const caf::actor_addr& who) {
  auto& watched = self->state.watched;
  auto i = watched.find(who);
  if (i != watched.end() && --i->second == 0) {
    self->demonitor(who);
    watched.erase(i);
  }
}

void front_plan_retry(front_ptr self) {
  if (self->state.retry_planned)
    return;
  self->state.retry_planned = true;
  self->delayed_send(self, retry_every, pool_retry_atom_v);
}

void front_release_home(front_ptr self, uint64_t home_id, const pool_release& r) {
  auto& s = self->state;
  auto out = r;
  out.lease_id = home_id;
  if (s.engine)
    self->send(s.engine, out);
  else if (s.home_front)
    self->send(s.home_front, pool_home_atom_v, out);
}

std::vector<pool_held> front_report(front_ptr self, std::vector<uint64_t>& ids,
                                    bool borrow) {
  auto& s = self->state;
  std::vector<pool_held> out;
  for (auto i = s.leases.begin(); i != s.leases.end();) {
    auto& l = i->second;
    if (l.released && l.reported != s.epoch) {
      i = s.leases.erase(i);  // released while not reportable: gone with its home
      continue;
    }
    l.borrowed = borrow && !l.local;
    l.reported = s.epoch;
    ids.push_back(i->first);
    out.push_back(pool_held{l.ticket, l.key_label, l.key_index, l.est_tokens});
    ++i;
  }
  return out;
}

void front_apply_adopted(front_ptr self, uint64_t epoch, const std::vector<uint64_t>& ids,
                         const pool_adopted& a, pool_front_state::time_point sent_at) {
  auto& s = self->state;
  if (epoch != s.epoch)
    return;
  for (size_t k = 0; k < ids.size() && k < a.ids.size(); ++k) {
    auto i = s.leases.find(ids[k]);
    if (i == s.leases.end())
      continue;
    i->second.home_id = a.ids[k];
    i->second.epoch = epoch;
    // Installed in this node's engine: counted nowhere else, unless borrowed.
    i->second.local = s.engine && !i->second.borrowed;
    i->second.valid_from = std::max(i->second.valid_from, sent_at);  // installed after
    if (i->second.released) {
      front_release_home(self, a.ids[k], i->second.release);
      s.leases.erase(i);
    }
  }
}

pool_front_state::~pool_front_state() {
  if (engine)
    caf::anon_send_exit(engine, caf::exit_reason::user_shutdown);
}

void add_totals(pool_stats& st, const pool_stats& base) {
  st.acquired += base.acquired;
  st.released += base.released;
  st.reclaimed += base.reclaimed;
  st.expired += base.expired;
  st.timeouts += base.timeouts;
  st.rejected += base.rejected;
  st.breaker_rejected += base.breaker_rejected;
  st.abandoned += base.abandoned;
  st.cancelled += base.cancelled;
  st.double_releases += base.double_releases;
  st.unknown_releases += base.unknown_releases;
  st.failures += base.failures;
  st.rate_limited += base.rate_limited;
  st.breaker_opened += base.breaker_opened;
  st.adopted += base.adopted;
  if (st.wait_counts.size() == base.wait_counts.size())
    for (size_t i = 0; i < st.wait_counts.size(); ++i)
      st.wait_counts[i] += base.wait_counts[i];
  for (auto& k : st.keys)
    for (auto& b : base.keys)
      if (b.label == k.label) {
        k.acquired += b.acquired;
        k.rate_limited += b.rate_limited;
      }
}

pool_stats pool_front_state::local_stats() const {
  pool_stats st;
  st.name = cfg.pool.name;
  st.kind = cfg.pool.kind;
  st.max_queue = cfg.pool.max_queue;
  for (auto& k : cfg.pool.keys) {
    pool_key_stats ks;
    ks.label = k;
    ks.max_active = cfg.pool.max_active;
    ks.effective_limit = cfg.pool.max_active;
    st.keys.push_back(ks);
    st.capacity += cfg.pool.max_active;
  }
  st.effective_capacity = st.capacity;
  for (auto& [id, l] : leases)
    st.active += l.released ? 0 : 1;
  st.queued = static_cast<uint32_t>(pendings.size());
  st.utilization = st.capacity == 0 ? 0.0 : double(st.active) / double(st.capacity);
  return st;
}

std::string pick_pool_home(const std::string& pool, const std::vector<std::string>& members) {
  // Rendezvous hashing with FNV-1a 64: the same answer in every process and build.
  auto score = [&](const std::string& m) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : pool + "\n" + m) {
      h ^= c;
      h *= 1099511628211ull;
    }
    return h;
  };
  std::string best;
  uint64_t best_score = 0;
  for (auto& m : members) {
    auto sc = score(m);
    if (best.empty() || sc > best_score || (sc == best_score && m < best)) {
      best = m;
      best_score = sc;
    }
  }
  return best;
}

} // namespace sb
