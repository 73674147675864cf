// The close frame a WebSocket peer sent (LWS_CALLBACK_WS_PEER_INITIATED_CLOSE): a 2-byte
// code in network order, then the reason.
#pragma once

#include <cstddef>
#include <string>

namespace sb::net {

inline void read_peer_close(const void* in, size_t len, int& code, std::string& reason) {
  if (len < 2)
    return;
  auto* b = static_cast<const unsigned char*>(in);
  code = (b[0] << 8) | b[1];
  reason.assign(reinterpret_cast<const char*>(b) + 2, len - 2);
}

} // namespace sb::net
