// Where a telephony WebSocket goes: the dialect and the route tag of its path, and the
// request URI lws parsed (I/O thread).
#pragma once

#include <cstring>
#include <string>

#include <libwebsockets.h>

#include "messages/telephony.hpp"

namespace sb::net {

// Parses "/ws/twilio[/route...]" and "/ws/exotel[/route...]".
inline bool parse_path(const std::string& uri, dialect& kind, std::string& route) {
  auto match = [&](const char* prefix, dialect d) {
    auto n = std::strlen(prefix);
    if (uri.compare(0, n, prefix) != 0 || (uri.size() > n && uri[n] != '/'))
      return false;
    kind = d;
    route = uri.size() > n + 1 ? uri.substr(n + 1) : std::string{};
    return true;
  };
  return match("/ws/twilio", dialect::twilio) || match("/ws/exotel", dialect::exotel);
}

inline std::string request_uri(lws* wsi) {
  char buf[512] = {0};
  if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_GET_URI) < 0)
    return {};
  return buf;
}

} // namespace sb::net
