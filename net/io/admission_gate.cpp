#include "net/io/admission_gate.hpp"

#include <spdlog/spdlog.h>

#include "net/admission/client_address.hpp"
#include "net/io/http_routes.hpp"
#include "net/io/lws_headers.hpp"

namespace sb::net {

namespace {

static_assert(net_probe::refusal_kinds == admission::refusal_kinds);

admission::admission_limits limits_of(const admission_section& c, uint32_t max_calls,
                                      millis start_timeout) {
  admission::admission_limits l;
  l.calls_per_minute = c.calls_per_minute;
  l.per_ip_per_minute = c.per_ip_per_minute;
  l.per_agent_per_minute = c.per_agent_per_minute;
  l.pending_per_ip = c.pending_per_ip;
  l.pending_max = c.pending_max;
  l.max_calls = max_calls;
  l.trusted_ips = c.trusted_ips;
  l.start_timeout = start_timeout;
  return l;
}

} // namespace

admission_gate::admission_gate(const admission_section& cfg, uint32_t max_calls,
                               millis start_timeout, net_probe& probe)
  : ctl_(limits_of(cfg, max_calls, start_timeout)),
    proxies_(cfg.trusted_proxies),
    probe_(probe) {}

admission::caller_key admission_gate::caller(lws* wsi, const std::string& route) const {
  char peer[64] = {0};
  lws_get_peer_simple(wsi, peer, sizeof peer);
  std::string forwarded;
  if (!proxies_.empty())
    forwarded = header(wsi, WSI_TOKEN_X_FORWARDED_FOR);
  return ctl_.key(admission::client_address(peer, forwarded, proxies_), route);
}

void admission_gate::count(const admission::verdict& v) {
  ++probe_.refused[static_cast<size_t>(v.why)];
}

admission::verdict admission_gate::admit(const admission::caller_key& k, size_t active_calls,
                                         bool draining) {
  auto v = ctl_.upgrade(k, active_calls, draining, admission::clock::now());
  probe_.pending = ctl_.pending();
  if (!v.admitted) {
    count(v);
    ++probe_.upgrades_refused;
  }
  return v;
}

int admission_gate::upgrade(lws* wsi, const admission::caller_key& k, size_t active_calls,
                            bool draining) {
  auto v = admit(k, active_calls, draining);
  if (v.admitted)
    return 0;
  spdlog::debug("refused upgrade from {} (agent '{}'): {} {}", k.ip, k.agent, v.status,
                v.reason);
  return reject_with_json(wsi, v.status, v.error, v.reason,
                          static_cast<unsigned>(v.retry_after.count()));
}

admission::verdict admission_gate::start(const admission::caller_key& k, size_t active_calls,
                                         bool draining) {
  auto v = ctl_.start(k, active_calls, draining);
  probe_.pending = ctl_.pending();
  if (!v.admitted)
    count(v);
  return v;
}

void admission_gate::abandon(const admission::caller_key& k) {
  ctl_.abandon(k);
  probe_.pending = ctl_.pending();
}

void admission_gate::on_tick(admission::time_point now) {
  if (now < next_prune_)
    return;
  next_prune_ = now + std::chrono::seconds{10};
  ctl_.prune(now);
}

} // namespace sb::net
