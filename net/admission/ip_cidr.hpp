// IP addresses and CIDR ranges, IPv4 and IPv6. An IPv4-mapped IPv6 address
// (::ffff:10.0.0.1) is the IPv4 address: it matches IPv4 ranges and counts as that address.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::admission {

struct ip_address {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4: the first 4
  bool operator==(const ip_address& o) const { return v6 == o.v6 && bytes == o.bytes; }
};

std::optional<ip_address> parse_ip(std::string_view s);
// The canonical text (inet_ntop), IPv4-mapped addresses as plain IPv4.
std::string to_string(const ip_address& a);

struct cidr {
  ip_address base;  // host bits cleared
  unsigned prefix = 0;
  bool contains(const ip_address& a) const;
};

// "10.0.0.0/8", "2001:db8::/32" or a single address (all bits).
std::optional<cidr> parse_cidr(std::string_view s);

class cidr_list {
public:
  cidr_list() = default;
  // Entries that do not parse are skipped (config validation rejects them earlier).
  explicit cidr_list(const std::vector<std::string>& items);
  bool contains(const ip_address& a) const;
  bool contains(std::string_view ip) const;
  bool empty() const { return ranges_.empty(); }

private:
  std::vector<cidr> ranges_;
};

} // namespace sb::admission
