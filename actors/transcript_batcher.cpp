#include "actors/transcript_batcher.hpp"

#include <deque>
#include <unordered_map>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

namespace sb {

namespace {

using batch_timer_atom = caf::atom_constant<caf::atom("btimer")>;
using batch_retry_atom = caf::atom_constant<caf::atom("bretry")>;
constexpr batch_timer_atom batch_timer_atom_v{};
constexpr batch_retry_atom batch_retry_atom_v{};

struct batcher_state {
  batcher_settings cfg;
  caf::actor writer;
  std::shared_ptr<batcher_probe> probe;
  std::deque<transcript_entry> entries;  // waiting, oldest first
  std::vector<call_record> calls;        // waiting, one per call (the latest)
  std::unordered_map<std::string, size_t> call_index;
  store_batch inflight;  // sent (or failed and to be sent again)
  bool busy = false;
  bool urgent = false;   // a call ended or a flush was asked: write without waiting
  uint64_t timer_epoch = 0;
  bool timer_armed = false;
  std::chrono::milliseconds retry{0};
  std::vector<caf::response_promise> flush_waiters;
  static constexpr const char* name = "transcript_batcher";
};

using batcher_ptr = caf::stateful_actor<batcher_state>*;

void update_buffered(batcher_ptr self) {
  auto& s = self->state;
  s.probe->buffered = s.entries.size() + s.inflight.entries.size();
}

void send_inflight(batcher_ptr self);

void flush(batcher_ptr self) {
  auto& s = self->state;
  if (s.busy)
    return;  // the answer to the write in flight comes back here
  s.timer_armed = false;
  ++s.timer_epoch;
  if (s.entries.empty() && s.calls.empty()) {
    s.urgent = false;
    for (auto& p : s.flush_waiters)
      p.deliver(caf::unit);
    s.flush_waiters.clear();
    return;
  }
  s.inflight.calls = std::move(s.calls);
  s.calls.clear();
  s.call_index.clear();
  const size_t n = std::min<size_t>(s.entries.size(), s.cfg.max_entries);
  s.inflight.entries.assign(std::make_move_iterator(s.entries.begin()),
                            std::make_move_iterator(s.entries.begin() + static_cast<long>(n)));
  s.entries.erase(s.entries.begin(), s.entries.begin() + static_cast<long>(n));
  s.busy = true;
  send_inflight(self);
}

void arm_timer(batcher_ptr self) {
  auto& s = self->state;
  if (s.timer_armed || s.busy || (s.entries.empty() && s.calls.empty()))
    return;
  s.timer_armed = true;
  self->delayed_send(self, s.cfg.max_delay, batch_timer_atom_v, ++s.timer_epoch);
}

void written(batcher_ptr self, const std::string& error) {
  auto& s = self->state;
  auto& p = *s.probe;
  p.inflight_since_ms = 0;
  if (!error.empty()) {
    ++p.write_failures;
    if (p.failing_since_ms == 0)
      p.failing_since_ms = std::max<int64_t>(1, clock_ms(self));
    p.set_error(error);
    s.retry = s.retry.count() == 0 ? s.cfg.retry_min : std::min(s.retry * 2, s.cfg.retry_max);
    spdlog::warn("transcripts: a write of {} entries and {} call records failed ({}); "
                 "kept, trying again in {} ms ({} entries waiting)",
                 s.inflight.entries.size(), s.inflight.calls.size(), error, s.retry.count(),
                 s.entries.size() + s.inflight.entries.size());
    self->delayed_send(self, s.retry, batch_retry_atom_v);
    return;  // still busy: nothing newer goes before this batch
  }
  if (p.failing_since_ms != 0)
    spdlog::info("transcripts: the store takes writes again");
  p.failing_since_ms = 0;
  p.set_error({});
  s.retry = std::chrono::milliseconds{0};
  p.entries_written += s.inflight.entries.size();
  p.calls_written += s.inflight.calls.size();
  ++p.batches;
  s.inflight = store_batch{};
  s.busy = false;
  update_buffered(self);
  if (s.urgent || !s.flush_waiters.empty() || s.entries.size() >= s.cfg.max_entries)
    flush(self);
  else
    arm_timer(self);
}

void send_inflight(batcher_ptr self) {
  auto& s = self->state;
  s.probe->inflight_since_ms = std::max<int64_t>(1, clock_ms(self));
  self->request(s.writer, caf::infinite, write_atom_v, s.inflight)
    .then([self](const std::string& error) { written(self, error); },
          [self](caf::error& e) { written(self, "store writer: " + to_string(e)); });
}

void add_entry(batcher_ptr self, transcript_entry e) {
  auto& s = self->state;
  s.entries.push_back(std::move(e));
  if (s.entries.size() + s.inflight.entries.size() > s.cfg.max_buffered) {
    auto& old = s.entries.front();
    auto n = ++s.probe->dropped;
    spdlog::error("transcripts: {} entries waiting, more than {}: dropping the oldest (call "
                  "{}, turn {}, {}: {} characters); {} dropped so far ({})",
                  s.cfg.max_buffered + 1, s.cfg.max_buffered, old.call_id, old.turn,
                  old.speaker, old.text.size(), n, s.probe->last_error());
    s.entries.pop_front();
  }
  update_buffered(self);
  if (s.entries.size() >= s.cfg.max_entries)
    flush(self);
  else
    arm_timer(self);
}

void add_call(batcher_ptr self, call_record r) {
  auto& s = self->state;
  const bool ended = r.status == "ended";
  auto i = s.call_index.find(r.call_id);
  if (i != s.call_index.end()) {
    s.calls[i->second] = std::move(r);
  } else {
    s.call_index.emplace(r.call_id, s.calls.size());
    s.calls.push_back(std::move(r));
  }
  if (ended) {
    // Its remaining entries go now (they were sent before its end record).
    s.urgent = true;
    flush(self);
  } else {
    arm_timer(self);
  }
}

caf::behavior batcher_impl(batcher_ptr self, caf::actor writer, batcher_settings cfg,
                           std::shared_ptr<batcher_probe> probe) {
  auto& s = self->state;
  s.cfg = cfg;
  s.writer = std::move(writer);
  s.probe = std::move(probe);
  return {
    [self](transcript_entry& e) { add_entry(self, std::move(e)); },
    [self](call_record& r) { add_call(self, std::move(r)); },
    [self](flush_atom) -> caf::result<void> {
      auto& s = self->state;
      if (!s.busy && s.entries.empty() && s.calls.empty())
        return caf::unit;
      s.flush_waiters.push_back(self->make_response_promise());
      s.urgent = true;
      flush(self);
      return caf::delegated<void>{};
    },
    [self](batch_timer_atom, uint64_t epoch) {
      auto& s = self->state;
      if (epoch == s.timer_epoch && s.timer_armed) {
        s.timer_armed = false;
        flush(self);
      }
    },
    [self](batch_retry_atom) { send_inflight(self); },
  };
}

caf::behavior writer_impl(caf::event_based_actor*, std::shared_ptr<transcript_store> store) {
  return {
    [store](write_atom, const store_batch& b) -> std::string {
      auto e = store->write(b);
      return e ? *e : std::string{};
    },
    [store](caf::get_atom, const std::string& call_id) -> call_lookup {
      call_lookup r;
      if (auto c = store->call(call_id, r.error)) {
        r.found = true;
        r.call = std::move(*c);
        r.transcript = store->transcript(call_id, r.error);
      }
      return r;
    },
    [store](caf::get_atom, const std::string& status, int64_t since, const std::string& agent,
            uint32_t limit) -> call_list {
      call_list r;
      r.calls = store->calls(call_query{status, since, agent, limit}, r.error);
      return r;
    },
  };
}

} // namespace

caf::actor spawn_store_writer(caf::actor_system& sys, std::shared_ptr<transcript_store> store,
                              bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(writer_impl, std::move(store));
  return sys.spawn(writer_impl, std::move(store));
}

caf::actor spawn_transcript_batcher(caf::actor_system& sys, caf::actor writer,
                                    batcher_settings settings,
                                    std::shared_ptr<batcher_probe> probe) {
  return sys.spawn(batcher_impl, std::move(writer), settings, std::move(probe));
}

} // namespace sb
