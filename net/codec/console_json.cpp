#include "net/codec/console_json.hpp"

#include "net/codec/call_record_json.hpp"

namespace sb::codec {

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

json console_answer_json(const console_answer& a) {
  auto& cmd = a.command;
  json out{{"command", cmd}};
  if (!a.node.empty())
    out["node"] = a.node;
  auto members = [&] {
    json list = json::array();
    for (auto& m : a.nodes)
      list.push_back(member_json(m));
    return list;
  };
  auto pool_list = [&] {
    json list = json::array();
    for (auto& s : a.pools)
      list.push_back(pool_summary_json(s));
    return list;
  };
  if (cmd == "nodes") {
    out["nodes"] = members();
  } else if (cmd == "calls") {
    // This node's calls, or (no node) every node's with how many each has.
    json list = json::array();
    for (size_t i = 0; i < a.calls.size(); ++i) {
      auto j = call_summary_json(a.calls[i]);
      j["node"] = a.node.empty() && i < a.call_nodes.size() ? a.call_nodes[i] : a.node;
      list.push_back(std::move(j));
    }
    out["count"] = list.size();
    if (a.node.empty()) {
      json per_node = json::object();
      for (size_t i = 0; i < a.count_nodes.size() && i < a.counts.size(); ++i)
        per_node[a.count_nodes[i]] = a.counts[i];
      out["nodes"] = std::move(per_node);
    }
    out["calls"] = std::move(list);
  } else if (cmd == "call") {
    if (!a.stored.empty()) {
      out["stored"] = true;
      out["call"] = call_lookup_json(a.stored.front());
    } else if (!a.calls.empty()) {
      out["call"] = call_detail_json(a.calls.front());
    }
  } else if (cmd == "pools") {
    out["pools"] = pool_list();
  } else if (cmd == "pool") {
    if (!a.pools.empty())
      out["pool"] = pool_detail_json(a.pools.front());
  } else if (cmd == "actors") {
    json list = json::array();
    for (auto& x : a.actors)
      list.push_back({{"name", x.name}, {"id", x.id}, {"mailbox", x.mailbox}});
    out["actors"] = std::move(list);
  } else if (cmd == "drain") {
    out["draining"] = a.draining;
  } else if (cmd == "summary") {
    out["nodes"] = members();
    out["pools"] = pool_list();
  }
  return out;
}

} // namespace sb::codec
