// Authentication of telephony upgrades on the I/O thread ([auth]): reads the request's
// credentials, checks them for the dialect's mode (net/admission/credentials.hpp), counts
// refusals by reason in net_probe, and answers 401/403 with a JSON reason. Nothing it
// logs or answers holds a secret or a presented credential.
#pragma once

#include <string>

#include <libwebsockets.h>

#include "messages/telephony.hpp"
#include "net/admission/credentials.hpp"
#include "net/io/net_probe.hpp"

namespace sb::net {

struct edge_auth;

class upgrade_auth {
public:
  upgrade_auth(const edge_auth& cfg, net_probe& probe) : cfg_(cfg), probe_(probe) {}
  // Checks the upgrade of `path` (no query) for `kind`; a refusal is counted.
  admission::auth_verdict check(lws* wsi, dialect kind, const std::string& path);
  // HTTP_CONFIRM_UPGRADE: 0 to go on, else what lws wants after the 401/403 answer.
  int confirm(lws* wsi, dialect kind, const std::string& path);

private:
  const edge_auth& cfg_;
  net_probe& probe_;
};

} // namespace sb::net
