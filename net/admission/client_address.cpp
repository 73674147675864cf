#include "net/admission/client_address.hpp"
#include "net/codec/http_text.hpp"

namespace sb::admission {

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const cidr_list& trusted_proxies) {
  auto peer_ip = parse_ip(peer);
  if (!peer_ip)
    return std::string(peer);
  ip_address client = *peer_ip;
  if (trusted_proxies.empty() || !trusted_proxies.contains(client))
    return to_string(client);
  while (!forwarded_for.empty()) {
    auto comma = forwarded_for.rfind(',');
    auto item = codec::trim_ows(comma == std::string_view::npos ? forwarded_for
                                                     : forwarded_for.substr(comma + 1));
    forwarded_for = comma == std::string_view::npos ? std::string_view{}
                                                    : forwarded_for.substr(0, comma);
    auto hop = parse_ip(item);
    if (!hop)
      break;
    client = *hop;
    if (!trusted_proxies.contains(client))
      break;
  }
  return to_string(client);
}

} // namespace sb::admission
