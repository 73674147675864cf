#include "net/admission/ip_cidr.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace sb::admission {

namespace {

bool mapped_v4(const std::array<uint8_t, 16>& b) {
  for (int i = 0; i < 10; ++i)
    if (b[i] != 0)
      return false;
  return b[10] == 0xff && b[11] == 0xff;
}

} // namespace

std::optional<ip_address> parse_ip(std::string_view s) {
  if (s.empty() || s.size() > 45)
    return std::nullopt;
  std::string text(s);
  ip_address a;
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    std::memcpy(a.bytes.data(), &v4, 4);
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1)
    return std::nullopt;
  std::memcpy(a.bytes.data(), &v6, 16);
  if (mapped_v4(a.bytes)) {
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), a.bytes.data() + 12, 4);
    a.bytes = b;
    return a;
  }
  a.v6 = true;
  return a;
}

std::string to_string(const ip_address& a) {
  char buf[INET6_ADDRSTRLEN] = {0};
  inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
  return buf;
}

bool cidr::contains(const ip_address& a) const {
  if (a.v6 != base.v6)
    return false;
  unsigned full = prefix / 8;
  for (unsigned i = 0; i < full; ++i)
    if (a.bytes[i] != base.bytes[i])
      return false;
  if (unsigned rest = prefix % 8) {
    auto mask = static_cast<uint8_t>(0xff << (8 - rest));
    if ((a.bytes[full] & mask) != base.bytes[full])
      return false;
  }
  return true;
}

std::optional<cidr> parse_cidr(std::string_view s) {
  auto slash = s.find('/');
  auto ip = parse_ip(s.substr(0, slash));
  if (!ip)
    return std::nullopt;
  unsigned max = ip->v6 ? 128 : 32;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    auto digits = s.substr(slash + 1);
    if (digits.empty() || digits.size() > 3)
      return std::nullopt;
    prefix = 0;
    for (char c : digits) {
      if (c < '0' || c > '9')
        return std::nullopt;
      prefix = prefix * 10 + static_cast<unsigned>(c - '0');
    }
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8.
    bool was_mapped = !ip->v6 && s.substr(0, slash).find(':') != std::string_view::npos;
    if (was_mapped) {
      if (prefix < 96 || prefix > 128)
        return std::nullopt;
      prefix -= 96;
    }
    if (prefix > max)
      return std::nullopt;
  }
  cidr c{*ip, prefix};
  for (unsigned bit = prefix; bit < 128; ++bit)
    c.base.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  return c;
}

cidr_list::cidr_list(const std::vector<std::string>& items) {
  for (auto& i : items)
    if (auto c = parse_cidr(i))
      ranges_.push_back(*c);
}

bool cidr_list::contains(const ip_address& a) const {
  for (auto& r : ranges_)
    if (r.contains(a))
      return true;
  return false;
}

bool cidr_list::contains(std::string_view ip) const {
  auto a = parse_ip(ip);
  return a && contains(*a);
}

} // namespace sb::admission
