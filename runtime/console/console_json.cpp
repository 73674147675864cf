#include "runtime/console/console_json.hpp"

namespace sb::console {

using json = nlohmann::json;

json member_json(const member_info& m) {
  json j{{"name", m.name},
         {"address", m.address},
         {"state", to_string(m.state)},
         {"active_calls", m.active_calls},
         {"capacity", m.capacity},
         {"draining", m.draining},
         {"last_heard_ms", m.last_heard_ms}};
  if (m.state == member_state::down)
    j["down_reason"] = m.down_reason;
  return j;
}

json call_summary_json(const call_snapshot& c) {
  return {{"id", std::to_string(c.session)},
          {"call_sid", c.call_sid},
          {"stream_sid", c.stream_sid},
          {"dialect", c.dialect},
          {"route", c.route},
          {"remote_ip", c.remote_ip},
          {"state", c.state},
          {"turn", c.turn},
          {"age_ms", c.age_ms},
          {"leases", c.leases.size()}};
}

json call_detail_json(const call_snapshot& c) {
  auto j = call_summary_json(c);
  json history = json::array();
  for (auto& m : c.history)
    history.push_back({{"role", m.role}, {"content", m.content}});
  json leases = json::array();
  for (auto& l : c.leases)
    leases.push_back({{"provider", l.provider},
                      {"stream", l.stream},
                      {"lease_id", l.lease_id},
                      {"held_ms", l.held_ms}});
  j["history"] = std::move(history);
  j["leases"] = std::move(leases);
  j["pending_acquisitions"] = c.pending_acquisitions;
  j["timings"] = {{"age_ms", c.age_ms},
                  {"since_utterance_end_ms", c.since_utterance_end_ms},
                  {"since_playback_start_ms", c.since_playback_start_ms}};
  j["mailbox"] = c.mailbox;
  return j;
}

json pool_summary_json(const pool_stats& s) {
  return {{"name", s.name},
          {"provider", to_string(s.kind)},
          {"active", s.active},
          {"queued", s.queued},
          {"capacity", s.capacity},
          {"effective_capacity", s.effective_capacity},
          {"utilization", s.utilization},
          {"breaker", to_string(s.breaker)},
          {"total_acquired", s.acquired},
          {"total_timeouts", s.timeouts},
          {"total_rejected", s.rejected + s.breaker_rejected},
          {"home", s.home},
          {"node_active", s.node_active}};
}

json pool_detail_json(const pool_stats& s) {
  auto j = pool_summary_json(s);
  json keys = json::array();
  for (auto& k : s.keys)
    keys.push_back({{"key", k.label},
                    {"max_active", k.max_active},
                    {"effective_limit", k.effective_limit},
                    {"active", k.active},
                    {"blocked_ms", k.blocked_ms}});
  json holders = json::array();
  for (auto& h : s.holders)
    holders.push_back({{"lease_id", h.lease_id},
                       {"holder", h.holder},
                       {"ticket", h.ticket},
                       {"key", h.key_index < s.keys.size() ? s.keys[h.key_index].label : ""},
                       {"held_ms", h.held_ms}});
  json waiters = json::array();
  for (auto& w : s.waiters)
    waiters.push_back({{"ticket", w.ticket},
                       {"requester", w.requester},
                       {"waiting_ms", w.waiting_ms},
                       {"remaining_ms", w.remaining_ms}});
  j["keys"] = std::move(keys);
  j["holders"] = std::move(holders);
  j["waiters"] = std::move(waiters);
  j["breaker"] = {{"state", to_string(s.breaker)},
                  {"consecutive_failures", s.consecutive_failures},
                  {"half_open_successes", s.half_open_successes},
                  {"open_remaining_ms", s.breaker_open_ms},
                  {"opened", s.breaker_opened}};
  j["max_queue"] = s.max_queue;
  j["mailbox"] = s.mailbox;
  return j;
}

} // namespace sb::console
