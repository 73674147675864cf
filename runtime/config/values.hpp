// Parsers and formatters for the value types of cluster.ini: whole numbers, durations,
// HOST:PORT, provider base URLs, lists, environment variable names, IP addresses.
// Every parse_* / check_* returns "" on success, otherwise a short description of what is
// wrong (without the value; the caller appends it). No exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/config.hpp"

namespace sb::cfg {

std::string trim(std::string_view s);

// Splits a comma-separated list, trimming each item. "" gives an empty list; empty items
// ("a,,b") are kept as "" so that callers can report them.
std::vector<std::string> split_list(std::string_view s);
std::string join_list(const std::vector<std::string>& items);

// Decimal digits only, within [lo, hi].
std::string parse_uint(std::string_view s, uint64_t lo, uint64_t hi, uint64_t& out);

// A whole number with unit ms, s or m ("250ms", "30s", "2m"), within [lo, hi].
std::string parse_duration(std::string_view s, millis lo, millis hi, millis& out);
// Largest unit that represents d exactly: 3600000 -> "60m", 1500 -> "1500ms", 0 -> "0s".
std::string format_duration(millis d);

// HOST:PORT; IPv6 hosts in brackets ("[::1]:8080", stored without brackets).
std::string parse_host_port(std::string_view s, bool allow_port_zero, host_port& out);
std::string format_host_port(const host_port& hp);

// scheme://host[:port][/path] with scheme in `schemes` (e.g. "ws,wss"). Default port from
// the scheme (80 for ws/http, 443 for wss/https); path without trailing slash.
std::string parse_url(std::string_view s, std::string_view schemes, url_parts& out);
std::string format_url(const url_parts& u);

// One or more comma-separated environment variable names ([A-Za-z_][A-Za-z0-9_]*).
std::string check_env_names(std::string_view s);
// An IPv4 or IPv6 address, optionally with a /PREFIX (CIDR).
std::string check_ip_or_cidr(std::string_view s);
// A host name or IP literal as used in HOST:PORT and URLs (no brackets).
std::string check_host(std::string_view host);
// No control characters (newlines, NUL, ...); tabs are allowed.
std::string check_printable(std::string_view s);

} // namespace sb::cfg
