#include "net/admission/phone_access.hpp"

#include <arpa/inet.h>

namespace sb::admission {

bool is_loopback_host(const std::string& host) {
  if (host == "localhost")
    return true;
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']')
    h = h.substr(1, h.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6) ||
           (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  return false;
}

bool phone_served(const std::string& mode, const std::string& listen_host) {
  if (mode == "on")
    return true;
  return mode == "auto" && is_loopback_host(listen_host);
}

} // namespace sb::admission
