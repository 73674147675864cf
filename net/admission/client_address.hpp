// Who the caller is: the TCP peer, or, when the peer is one of our trusted proxies (a load
// balancer), the address it put in X-Forwarded-For.
#pragma once

#include <string>
#include <string_view>

#include "net/admission/ip_cidr.hpp"

namespace sb::admission {

// Walks X-Forwarded-For from the right (the hop closest to us), skipping trusted proxies;
// the first address that is not a trusted proxy is the client. Without trusted proxies, or
// when the peer is not one, the header is ignored: anyone can write it. An entry that is
// not an IP address ends the walk (the last trusted hop is then taken as the client).
// Returns the canonical text of the address (IPv4-mapped IPv6 as IPv4).
std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const cidr_list& trusted_proxies);

} // namespace sb::admission
