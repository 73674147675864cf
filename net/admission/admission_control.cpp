#include "net/admission/admission_control.hpp"

#include <algorithm>

namespace sb::admission {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

token_bucket per_minute_bucket(uint32_t per_minute, time_point now) {
  return token_bucket(per_minute, per_minute / 60.0, now);
}

seconds whole_seconds(milliseconds ms) {
  auto s = (ms.count() + 999) / 1000;
  return seconds{std::max<long long>(1, s)};
}

} // namespace

const char* to_string(refusal r) {
  switch (r) {
    case refusal::draining: return "draining";
    case refusal::capacity: return "capacity";
    case refusal::node_rate: return "calls_per_minute";
    case refusal::ip_rate: return "per_ip_per_minute";
    case refusal::agent_rate: return "per_agent_per_minute";
    case refusal::pending_ip: return "pending_per_ip";
    default: return "pending_max";
  }
}

admission_control::admission_control(admission_limits limits)
  : limits_(std::move(limits)), trusted_(limits_.trusted_ips) {
  node_ = per_minute_bucket(limits_.calls_per_minute, time_point{});
}

caller_key admission_control::key(std::string ip, std::string agent) const {
  caller_key k{std::move(ip), std::move(agent), false};
  k.trusted = trusted_.contains(k.ip);
  return k;
}

verdict admission_control::refuse(refusal why, milliseconds wait) const {
  verdict v;
  v.admitted = false;
  v.why = why;
  v.retry_after = whole_seconds(wait);
  bool rate = why != refusal::draining && why != refusal::capacity &&
              why != refusal::pending_total;
  v.status = rate ? 429 : 503;
  v.error = rate ? "rate_limited" : "unavailable";
  auto n = [](uint32_t x) { return std::to_string(x); };
  switch (why) {
    case refusal::draining: v.reason = "draining"; break;
    case refusal::capacity:
      v.reason = "at capacity (node.max_calls = " + n(limits_.max_calls) + ")";
      break;
    case refusal::node_rate:
      v.reason = "more than " + n(limits_.calls_per_minute) + " calls per minute on this node";
      break;
    case refusal::ip_rate:
      v.reason = "more than " + n(limits_.per_ip_per_minute) + " calls per minute from this address";
      break;
    case refusal::agent_rate:
      v.reason = "more than " + n(limits_.per_agent_per_minute) + " calls per minute for this agent";
      break;
    case refusal::pending_ip:
      v.reason = "more than " + n(limits_.pending_per_ip) +
                 " connections without a start event from this address";
      break;
    case refusal::pending_total:
      v.reason = "more than " + n(limits_.pending_max) +
                 " connections without a start event on this node";
      break;
  }
  return v;
}

token_bucket& admission_control::bucket(std::unordered_map<std::string, token_bucket>& m,
                                        const std::string& key, uint32_t per_minute,
                                        time_point now) {
  auto it = m.find(key);
  if (it == m.end())
    it = m.emplace(key, per_minute_bucket(per_minute, now)).first;
  return it->second;
}

verdict admission_control::upgrade(const caller_key& k, size_t active_calls, bool draining,
                                   time_point now) {
  const auto& l = limits_;
  if (draining)
    return refuse(refusal::draining, seconds{10});
  if (active_calls >= l.max_calls)
    return refuse(refusal::capacity, seconds{2});
  if (pending_total_ >= l.pending_max)
    return refuse(refusal::pending_total, l.start_timeout);
  bool per_ip = !k.trusted;
  if (per_ip && pending(k.ip) >= l.pending_per_ip)
    return refuse(refusal::pending_ip, l.start_timeout);
  // Every budget is checked before any is spent.
  token_bucket* ip = per_ip && l.per_ip_per_minute ? &bucket(ip_, k.ip, l.per_ip_per_minute, now)
                                                   : nullptr;
  if (ip && ip->wait(now).count() > 0)
    return refuse(refusal::ip_rate, ip->wait(now));
  if (l.calls_per_minute && node_.wait(now).count() > 0)
    return refuse(refusal::node_rate, node_.wait(now));
  token_bucket* agent =
    l.per_agent_per_minute ? &bucket(agent_, k.agent, l.per_agent_per_minute, now) : nullptr;
  if (agent && agent->wait(now).count() > 0)
    return refuse(refusal::agent_rate, agent->wait(now));
  if (ip)
    ip->take(now);
  if (l.calls_per_minute)
    node_.take(now);
  if (agent)
    agent->take(now);
  ++pending_total_;
  ++pending_ip_[k.ip];
  return {};
}

void admission_control::release(const caller_key& k) {
  if (pending_total_ > 0)
    --pending_total_;
  auto it = pending_ip_.find(k.ip);
  if (it != pending_ip_.end() && --it->second == 0)
    pending_ip_.erase(it);
}

verdict admission_control::start(const caller_key& k, size_t active_calls, bool draining) {
  release(k);
  verdict v;
  if (draining)
    v = refuse(refusal::draining, seconds{10});
  else if (active_calls >= limits_.max_calls)
    v = refuse(refusal::capacity, seconds{2});
  if (!v.admitted)
    abandon_budgets(k);
  return v;
}

void admission_control::abandon(const caller_key& k) {
  release(k);
  abandon_budgets(k);
}

void admission_control::abandon_budgets(const caller_key& k) {
  if (limits_.calls_per_minute)
    node_.refund();
  if (limits_.per_agent_per_minute)
    if (auto it = agent_.find(k.agent); it != agent_.end())
      it->second.refund();
}

size_t admission_control::pending(const std::string& ip) const {
  auto it = pending_ip_.find(ip);
  return it == pending_ip_.end() ? 0 : it->second;
}

void admission_control::prune(time_point now) {
  for (auto* m : {&ip_, &agent_})
    for (auto it = m->begin(); it != m->end();)
      it = it->second.full(now) ? m->erase(it) : std::next(it);
}

} // namespace sb::admission
