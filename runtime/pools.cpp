#include "runtime/pools.hpp"

#include <cstdlib>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace sb {

namespace {

using json = nlohmann::json;

using poll_atom = caf::atom_constant<caf::atom("poolpoll")>;

json key_json(const pool_key_stats& k) {
  return {{"key", k.label},
          {"max_active", k.max_active},
          {"effective_limit", k.effective_limit},
          {"active", k.active},
          {"blocked_ms", k.blocked_ms},
          {"acquired", k.acquired},
          {"rate_limited", k.rate_limited}};
}

json summary(const pool_stats& s) {
  return {{"provider", to_string(s.kind)},
          {"active", s.active},
          {"queued", s.queued},
          {"capacity", s.capacity},
          {"effective_capacity", s.effective_capacity},
          {"utilization", s.utilization},
          {"total_acquired", s.acquired},
          {"total_released", s.released + s.reclaimed},
          {"total_timeouts", s.timeouts},
          {"total_rejected", s.rejected + s.breaker_rejected},
          {"total_abandoned", s.abandoned},
          {"breaker", to_string(s.breaker)},
          {"home", s.home},
          {"node_active", s.node_active}};
}

} // namespace

provider_key_set keys_from_env(const std::string& api_key_env) {
  provider_key_set out;
  size_t from = 0;
  while (from <= api_key_env.size()) {
    auto to = api_key_env.find(',', from);
    auto name = api_key_env.substr(from, to == std::string::npos ? std::string::npos
                                                                  : to - from);
    while (!name.empty() && name.front() == ' ')
      name.erase(name.begin());
    while (!name.empty() && name.back() == ' ')
      name.pop_back();
    if (!name.empty()) {
      const char* v = std::getenv(name.c_str());
      if (v && *v) {
        out.labels.push_back(name);
        out.values.emplace_back(v);
      } else {
        spdlog::warn("${} is not set: that key is not used", name);
      }
    }
    if (to == std::string::npos)
      break;
    from = to + 1;
  }
  return out;
}

pool_config make_pool_config(const std::string& name, provider_kind kind,
                             const pool_section& pool, const breaker_section& breaker,
                             const std::vector<std::string>& labels) {
  pool_config c;
  c.name = name;
  c.kind = kind;
  c.keys = labels.empty() ? std::vector<std::string>{"no-key"} : labels;
  c.max_active = pool.max_active;
  c.max_queue = pool.max_queue;
  c.queue_timeout = pool.queue_timeout;
  c.reuse_delay = pool.reuse_delay;
  c.requests_per_minute = pool.requests_per_minute;
  c.tokens_per_minute = pool.tokens_per_minute;
  c.failure_threshold = breaker.failure_threshold;
  c.success_threshold = breaker.success_threshold;
  c.open_timeout = breaker.open_timeout;
  c.slow_threshold = breaker.slow_threshold;
  return c;
}

std::vector<std::string> pool_warnings(const pool_stats& s) {
  std::vector<std::string> w;
  if (s.utilization > 0.75)
    w.push_back(s.name + ": utilization " + std::to_string(int(s.utilization * 100)) + " %");
  if (s.queued > 10)
    w.push_back(s.name + ": " + std::to_string(s.queued) + " requests queued");
  auto asked = s.acquired + s.timeouts + s.rejected + s.breaker_rejected;
  if (asked > 0 && double(s.timeouts) / double(asked) > 0.05)
    w.push_back(s.name + ": " + std::to_string(s.timeouts) + " of " + std::to_string(asked) +
                " requests timed out in the queue");
  if (s.breaker != breaker_state::closed)
    w.push_back(s.name + ": circuit breaker " + to_string(s.breaker));
  return w;
}

void pool_board::update(std::vector<pool_stats> stats) {
  std::lock_guard<std::mutex> g{mutex_};
  stats_ = std::move(stats);
}

std::string pool_board::summary_json() const {
  std::lock_guard<std::mutex> g{mutex_};
  json out = json::object();
  for (auto& s : stats_)
    out[s.name] = summary(s);
  return out.dump();
}

std::string pool_board::detail_json() const {
  std::lock_guard<std::mutex> g{mutex_};
  json pools = json::object();
  json warnings = json::array();
  for (auto& s : stats_) {
    auto j = summary(s);
    j["max_queue"] = s.max_queue;
    j["total_cancelled"] = s.cancelled;
    j["total_reclaimed"] = s.reclaimed;
    j["total_adopted"] = s.adopted;
    j["total_expired"] = s.expired;  // another node's leases not renewed in time
    j["total_fenced"] = s.fenced;    // leases this node revoked from its calls
    if (!s.authority.empty())
      j["authority"] = s.authority;  // with a coordinator: the home lease
    j["total_double_releases"] = s.double_releases;
    j["total_failures"] = s.failures;
    j["total_rate_limited"] = s.rate_limited;
    j["breaker_opened"] = s.breaker_opened;
    j["breaker_open_ms"] = s.breaker_open_ms;
    json hist = json::array();
    for (size_t i = 0; i < s.wait_counts.size(); ++i)
      hist.push_back({{"le_ms", i < s.wait_bounds_ms.size() ? json(s.wait_bounds_ms[i])
                                                             : json("+Inf")},
                      {"count", s.wait_counts[i]}});
    j["wait_ms_histogram"] = hist;
    json keys = json::array();
    for (auto& k : s.keys)
      keys.push_back(key_json(k));
    j["keys"] = keys;
    json holders = json::array();
    for (auto& h : s.holders)
      holders.push_back({{"lease", h.lease_id}, {"holder", h.holder},
                         {"key", h.key_index}, {"held_ms", h.held_ms}});
    j["holders"] = holders;
    json waiters = json::array();
    for (auto& w : s.waiters)
      waiters.push_back({{"requester", w.requester}, {"waiting_ms", w.waiting_ms},
                         {"remaining_ms", w.remaining_ms}});
    j["waiters"] = waiters;
    pools[s.name] = j;
    for (auto& w : pool_warnings(s))
      warnings.push_back(w);
  }
  return json{{"pools", pools}, {"warnings", warnings}}.dump();
}

std::vector<std::string> pool_board::degraded() const {
  std::lock_guard<std::mutex> g{mutex_};
  std::vector<std::string> out;
  for (auto& s : stats_)
    if (s.breaker != breaker_state::closed)
      out.push_back(s.name + ": circuit breaker " + to_string(s.breaker));
  for (auto& s : stats_)
    if (s.utilization > pool_degraded_utilization)
      out.push_back(s.name + ": pool over 90 % (" + std::to_string(s.active) + " of " +
                    std::to_string(s.capacity) + " in use, " + std::to_string(s.queued) +
                    " queued)");
  return out;
}

namespace {

struct poller_state {
  std::vector<pool_stats> collected;
  size_t waiting = 0;
  static inline const char* name = "pool-poller";
};

caf::behavior poller(caf::stateful_actor<poller_state>* self, std::vector<pool_actor> pools,
                     std::shared_ptr<pool_board> board, pool_stats_sink also,
                     std::chrono::milliseconds every) {
  auto publish = [=] {
    if (also)
      also(self->state.collected);
    board->update(self->state.collected);
  };
  self->send(self, poll_atom::value);
  return {
    [=](poll_atom) {
      auto& st = self->state;
      if (st.waiting == 0) {
        st.collected.clear();
        st.waiting = pools.size();
        for (auto& p : pools)
          self->request(p, std::chrono::seconds{1}, caf::get_atom::value)
            .then(
              [=](pool_stats& s) {
                self->state.collected.push_back(std::move(s));
                if (--self->state.waiting == 0)
                  publish();
              },
              [=](caf::error&) {
                if (--self->state.waiting == 0)
                  publish();
              });
      }
      self->delayed_send(self, every, poll_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_pool_poller(caf::actor_system& sys, std::vector<pool_actor> pools,
                             std::shared_ptr<pool_board> board, pool_stats_sink also,
                             std::chrono::milliseconds every) {
  return sys.spawn(poller, std::move(pools), std::move(board), std::move(also), every);
}

} // namespace sb
