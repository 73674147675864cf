// Why a TLS connection to a provider failed, in words an operator can act on.
#pragma once

#include <string>

struct lws;

namespace sb::net {

// For a client connection that failed: when the cause was TLS (the certificate chain,
// the host name, the handshake), a clear reason naming what was trusted (`ca_file`, or
// the system's trust store when it is empty); otherwise "" (not a TLS failure).
std::string tls_failure_detail(lws* wsi, const std::string& lws_reason,
                               const std::string& ca_file);

} // namespace sb::net
