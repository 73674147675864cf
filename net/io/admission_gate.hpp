// The telephony edge's admission, on the I/O thread: who the caller is (TCP peer or
// X-Forwarded-For behind a trusted proxy), the node-local admission checks
// (net/admission/admission_control.hpp), the HTTP refusal, and the counts by reason.
#pragma once

#include <string>

#include <libwebsockets.h>

#include "messages/config.hpp"
#include "net/admission/admission_control.hpp"
#include "net/io/net_probe.hpp"

namespace sb::net {

class admission_gate {
public:
  admission_gate(const admission_section& cfg, uint32_t max_calls, millis start_timeout,
                 net_probe& probe);

  // The caller of this upgrade (its headers are still there until ESTABLISHED).
  admission::caller_key caller(lws* wsi, const std::string& route) const;
  // HTTP_CONFIRM_UPGRADE: 0 to go on (the connection is pending), else what lws wants
  // after we answered 429/503 with a JSON reason and Retry-After.
  int upgrade(lws* wsi, const admission::caller_key& k, size_t active_calls, bool draining);
  // The same check without the HTTP answer (counted when refused).
  admission::verdict admit(const admission::caller_key& k, size_t active_calls,
                           bool draining);
  // The pending connection sent start. Not admitted: the caller must be closed.
  admission::verdict start(const admission::caller_key& k, size_t active_calls,
                           bool draining);
  // The pending connection ended before start.
  void abandon(const admission::caller_key& k);
  void on_tick(admission::time_point now);  // forgets full buckets now and then

  size_t pending() const { return ctl_.pending(); }

private:
  void count(const admission::verdict& v);
  admission::admission_control ctl_;
  admission::cidr_list proxies_;
  net_probe& probe_;
  admission::time_point next_prune_{};
};

} // namespace sb::net
