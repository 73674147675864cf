// Addresses, CIDR ranges and the client address behind trusted proxies.
#include <catch2/catch.hpp>

#include "net/admission/client_address.hpp"
#include "net/admission/ip_cidr.hpp"

using sb::admission::cidr_list;
using sb::admission::client_address;
using sb::admission::parse_cidr;
using sb::admission::parse_ip;

TEST_CASE("CIDR ranges match IPv4, IPv6 and IPv4-mapped addresses") {
  cidr_list l({"10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1", "172.16.0.0/12"});
  CHECK(l.contains("10.255.1.2"));
  CHECK_FALSE(l.contains("11.0.0.1"));
  CHECK(l.contains("192.168.1.7"));
  CHECK_FALSE(l.contains("192.168.1.8"));
  CHECK(l.contains("2001:db8:ffff::1"));
  CHECK_FALSE(l.contains("2001:db9::1"));
  CHECK(l.contains("::1"));
  CHECK(l.contains("::ffff:10.1.2.3"));
  CHECK(l.contains("172.31.255.255"));
  CHECK_FALSE(l.contains("172.32.0.0"));
  CHECK_FALSE(l.contains("not-an-ip"));
  CHECK_FALSE(l.contains(""));
  CHECK(cidr_list({"0.0.0.0/0"}).contains("8.8.8.8"));
  CHECK_FALSE(cidr_list({"0.0.0.0/0"}).contains("::2"));
  CHECK(cidr_list({"::/0"}).contains("fe80::1"));
  CHECK(cidr_list({"::ffff:10.0.0.0/104"}).contains("10.9.9.9"));
}

TEST_CASE("bad ranges do not parse") {
  CHECK_FALSE(parse_cidr("10.0.0.0/33"));
  CHECK_FALSE(parse_cidr("10.0.0.0/"));
  CHECK_FALSE(parse_cidr("10.0.0.0/x"));
  CHECK_FALSE(parse_cidr("::/129"));
  CHECK_FALSE(parse_cidr("10.0.0.300"));
  CHECK(parse_cidr("10.1.2.3/8")->base == *parse_ip("10.0.0.0"));  // host bits cleared
}

TEST_CASE("X-Forwarded-For counts only behind a trusted proxy") {
  cidr_list none;
  cidr_list lb({"10.0.0.0/8"});
  // No trusted proxies: the header is anyone's to write.
  CHECK(client_address("203.0.113.9", "1.2.3.4", none) == "203.0.113.9");
  // The peer is not a trusted proxy: ignored too.
  CHECK(client_address("203.0.113.9", "1.2.3.4", lb) == "203.0.113.9");
  CHECK(client_address("10.0.0.5", "198.51.100.7", lb) == "198.51.100.7");
  // Rightmost untrusted hop: what the client wrote itself on the left is not believed.
  CHECK(client_address("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.9", lb) ==
        "198.51.100.7");
  // Only trusted hops: the leftmost one.
  CHECK(client_address("10.0.0.5", "10.1.1.1,10.2.2.2", lb) == "10.1.1.1");
  // Garbage ends the walk at the last trusted hop.
  CHECK(client_address("10.0.0.5", "198.51.100.7, junk", lb) == "10.0.0.5");
  // No header: the peer.
  CHECK(client_address("10.0.0.5", "", lb) == "10.0.0.5");
  CHECK(client_address("::ffff:10.0.0.5", "2001:db8::1", lb) == "2001:db8::1");
  CHECK(client_address("::ffff:203.0.113.9", "", lb) == "203.0.113.9");
}
