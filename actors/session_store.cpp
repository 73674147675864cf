#include "actors/session_store.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

namespace sb {

namespace {

using session_tick_atom = caf::atom_constant<caf::atom("sesstick")>;
using session_retry_atom = caf::atom_constant<caf::atom("sessretry")>;
constexpr session_tick_atom session_tick_atom_v{};
constexpr session_retry_atom session_retry_atom_v{};

struct kept_snapshot {
  session_snapshot snap;
  bool live = true;
  int64_t expires_ms = 0;  // when not live
};

struct store_state {
  session_settings cfg;
  caf::actor writer;  // invalid = memory
  std::shared_ptr<session_probe> probe;
  std::chrono::milliseconds refresh{0};
  // memory
  std::unordered_map<std::string, kept_snapshot> mem;
  size_t mem_live = 0;
  // backend
  std::unordered_set<std::string> live;
  std::unordered_map<std::string, session_snapshot> waiting;  // latest, not yet written
  std::unordered_set<std::string> removes;
  std::unordered_set<std::string> touches;
  session_batch inflight;
  bool busy = false;
  std::chrono::milliseconds retry{0};
  std::vector<caf::response_promise> flush_waiters;
  static constexpr const char* name = "session_store";
};

using store_ptr = caf::stateful_actor<store_state>*;

bool memory(store_ptr self) { return !self->state.writer; }

void update_probe(store_ptr self) {
  auto& s = self->state;
  s.probe->kept = s.mem.size();
  s.probe->live = memory(self) ? s.mem_live : s.live.size();
  s.probe->waiting = s.waiting.size() + s.inflight.puts.size();
}

void send_inflight(store_ptr self);

// Sends what waits as one batch, unless one is in flight (its answer comes back here).
void write_waiting(store_ptr self) {
  auto& s = self->state;
  if (s.busy)
    return;
  if (s.waiting.empty() && s.removes.empty() && s.touches.empty()) {
    for (auto& p : s.flush_waiters)
      p.deliver(caf::unit);
    s.flush_waiters.clear();
    return;
  }
  s.inflight = session_batch{};
  for (auto& kv : s.waiting)
    s.inflight.puts.push_back(std::move(kv.second));
  s.waiting.clear();
  s.inflight.removes.assign(s.removes.begin(), s.removes.end());
  s.removes.clear();
  for (auto& id : s.touches)  // a snapshot written now has its full TTL anyway
    if (std::none_of(s.inflight.puts.begin(), s.inflight.puts.end(),
                     [&](const session_snapshot& c) { return c.call_id == id; }))
      s.inflight.touches.push_back(id);
  s.touches.clear();
  s.busy = true;
  send_inflight(self);
}

void written(store_ptr self, const std::string& error) {
  auto& s = self->state;
  auto& p = *s.probe;
  p.inflight_since_ms = 0;
  if (!error.empty()) {
    ++p.write_failures;
    if (p.failing_since_ms == 0)
      p.failing_since_ms = std::max<int64_t>(1, clock_ms(self));
    p.set_error(error);
    s.retry = s.retry.count() == 0 ? s.cfg.retry_min : std::min(s.retry * 2, s.cfg.retry_max);
    spdlog::warn("sessions: a write of {} snapshots failed ({}); kept, trying again in {} ms",
                 s.inflight.puts.size(), error, s.retry.count());
    // Whatever came since is newer: it replaces the failed batch's snapshot of that call.
    for (auto& snap : s.inflight.puts)
      if (!s.waiting.count(snap.call_id) && !s.removes.count(snap.call_id))
        s.waiting.emplace(snap.call_id, std::move(snap));
    for (auto& id : s.inflight.removes)
      if (!s.waiting.count(id))
        s.removes.insert(id);
    for (auto& id : s.inflight.touches)
      s.touches.insert(id);
    s.inflight = session_batch{};
    self->delayed_send(self, s.retry, session_retry_atom_v);
    update_probe(self);
    return;  // still busy until the retry
  }
  if (p.failing_since_ms != 0)
    spdlog::info("sessions: {} takes writes again", "the session backend");
  p.failing_since_ms = 0;
  p.set_error({});
  s.retry = std::chrono::milliseconds{0};
  ++p.batches;
  s.inflight = session_batch{};
  s.busy = false;
  update_probe(self);
  write_waiting(self);
}

void send_inflight(store_ptr self) {
  auto& s = self->state;
  s.probe->inflight_since_ms = std::max<int64_t>(1, clock_ms(self));
  self->request(s.writer, caf::infinite, write_atom_v, s.inflight,
                static_cast<int64_t>(s.cfg.ttl.count()))
    .then([self](const std::string& error) { written(self, error); },
          [self](caf::error& e) { written(self, "session writer: " + to_string(e)); });
}

void put(store_ptr self, session_snapshot snap) {
  auto& s = self->state;
  ++s.probe->writes;
  snap.found = false;
  if (memory(self)) {
    auto& k = s.mem[snap.call_id];
    if (!k.live || k.snap.call_id.empty())
      ++s.mem_live;
    k = kept_snapshot{std::move(snap), true, 0};
    update_probe(self);
    return;
  }
  s.live.insert(snap.call_id);
  s.removes.erase(snap.call_id);
  if (!s.waiting.count(snap.call_id) && s.waiting.size() >= s.cfg.max_waiting) {
    ++s.probe->dropped;
    spdlog::error("sessions: {} snapshots waiting for the backend ({}): the snapshot of "
                  "call {} at turn {} is not kept",
                  s.waiting.size(), s.probe->last_error(), snap.call_id, snap.turn);
    return;
  }
  auto id = snap.call_id;
  s.waiting[id] = std::move(snap);
  update_probe(self);
  write_waiting(self);
}

void end(store_ptr self, const std::string& id, bool keep) {
  auto& s = self->state;
  if (memory(self)) {
    auto i = s.mem.find(id);
    if (i != s.mem.end()) {
      if (i->second.live)
        --s.mem_live;
      if (keep) {
        i->second.live = false;
        i->second.expires_ms = clock_ms(self) + s.cfg.ttl.count();
      } else {
        s.mem.erase(i);
      }
    }
    update_probe(self);
    return;
  }
  s.live.erase(id);
  if (keep) {
    if (!s.waiting.count(id))
      s.touches.insert(id);  // its TTL counts from its end
  } else {
    s.waiting.erase(id);
    s.touches.erase(id);
    s.removes.insert(id);
  }
  update_probe(self);
  write_waiting(self);
}

caf::result<session_snapshot> get(store_ptr self, const std::string& id) {
  auto& s = self->state;
  ++s.probe->reads;
  auto found = [&](session_snapshot snap) {
    ++s.probe->found;
    snap.found = true;
    return snap;
  };
  if (memory(self)) {
    auto i = s.mem.find(id);
    if (i == s.mem.end() || (!i->second.live && i->second.expires_ms <= clock_ms(self)))
      return session_snapshot{};
    return found(i->second.snap);
  }
  if (s.removes.count(id))
    return session_snapshot{};  // the call is over (its snapshot goes)
  if (auto i = s.waiting.find(id); i != s.waiting.end())
    return found(i->second);
  for (auto& snap : s.inflight.puts)
    if (snap.call_id == id)
      return found(snap);
  auto rp = self->make_response_promise();
  self->request(s.writer, s.cfg.read_timeout, session_get_atom_v, id)
    .then(
      [self, rp, id](session_snapshot& snap, std::string& error) mutable {
        if (!error.empty()) {
          ++self->state.probe->read_failures;
          spdlog::warn("sessions: cannot read the snapshot of call {} ({}): it starts over", id,
                       error);
        } else if (snap.found) {
          ++self->state.probe->found;
        }
        rp.deliver(std::move(snap));
      },
      [self, rp, id](caf::error& e) mutable {
        ++self->state.probe->read_failures;
        spdlog::warn("sessions: no answer for the snapshot of call {} ({}): it starts over", id,
                     to_string(e));
        rp.deliver(session_snapshot{});
      });
  return caf::delegated<session_snapshot>{};
}

void tick(store_ptr self) {
  auto& s = self->state;
  self->delayed_send(self, s.refresh, session_tick_atom_v);
  if (memory(self)) {
    auto now = clock_ms(self);
    for (auto i = s.mem.begin(); i != s.mem.end();) {
      if (!i->second.live && i->second.expires_ms <= now) {
        ++s.probe->expired;
        i = s.mem.erase(i);
      } else {
        ++i;
      }
    }
    update_probe(self);
    return;
  }
  for (auto& id : s.live)
    if (!s.waiting.count(id))
      s.touches.insert(id);
  write_waiting(self);
}

caf::behavior store_impl(store_ptr self, caf::actor writer, session_settings cfg,
                         std::shared_ptr<session_probe> probe) {
  auto& s = self->state;
  s.cfg = cfg;
  s.writer = std::move(writer);
  s.probe = std::move(probe);
  // A third of the TTL (so a live call's snapshot never lapses between refreshes), at
  // most a minute.
  auto third = std::max<std::chrono::milliseconds>(cfg.ttl / 3, std::chrono::milliseconds{1});
  s.refresh = cfg.refresh_interval.count() > 0
                ? cfg.refresh_interval
                : std::min<std::chrono::milliseconds>(third, std::chrono::seconds{60});
  self->delayed_send(self, s.refresh, session_tick_atom_v);
  return {
    [self](session_put_atom, session_snapshot& snap) { put(self, std::move(snap)); },
    [self](session_end_atom, const std::string& id, bool keep) { end(self, id, keep); },
    [self](session_get_atom, const std::string& id) { return get(self, id); },
    [self](flush_atom) -> caf::result<void> {
      auto& s = self->state;
      if (memory(self) || (!s.busy && s.waiting.empty() && s.removes.empty() &&
                           s.touches.empty()))
        return caf::unit;
      s.flush_waiters.push_back(self->make_response_promise());
      write_waiting(self);
      return caf::delegated<void>{};
    },
    [self](session_tick_atom) { tick(self); },
    [self](session_retry_atom) {
      self->state.busy = false;  // what failed waits again, with anything newer
      write_waiting(self);
    },
  };
}

caf::behavior writer_impl(caf::event_based_actor*, std::shared_ptr<session_backend> backend) {
  return {
    [backend](write_atom, const session_batch& b, int64_t ttl_ms) -> std::string {
      auto e = backend->write(b, std::chrono::milliseconds{ttl_ms});
      return e ? *e : std::string{};
    },
    [backend](session_get_atom, const std::string& id) {
      std::string error;
      auto snap = backend->get(id, error);
      return std::make_tuple(std::move(snap), std::move(error));
    },
  };
}

} // namespace

caf::actor spawn_session_writer(caf::actor_system& sys, std::shared_ptr<session_backend> backend,
                                bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(writer_impl, std::move(backend));
  return sys.spawn(writer_impl, std::move(backend));
}

caf::actor spawn_session_store(caf::actor_system& sys, caf::actor writer,
                               session_settings settings, std::shared_ptr<session_probe> probe) {
  return sys.spawn(store_impl, std::move(writer), settings, std::move(probe));
}

} // namespace sb
