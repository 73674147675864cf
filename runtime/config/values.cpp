#include "runtime/config/values.hpp"

#include <arpa/inet.h>

#include <cctype>

namespace sb::cfg {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// Digits only, no sign; false on overflow past 10^15 (far above every limit we use).
bool to_u64(std::string_view s, uint64_t& out) {
  if (!all_digits(s) || s.size() > 15) return false;
  out = 0;
  for (char c : s)
    out = out * 10 + uint64_t(c - '0');
  return true;
}

uint16_t default_port(std::string_view scheme) {
  return (scheme == "wss" || scheme == "https") ? 443 : 80;
}

bool scheme_allowed(std::string_view scheme, std::string_view schemes) {
  for (auto& s : split_list(schemes))
    if (s == scheme) return true;
  return false;
}

std::string or_list(std::string_view schemes) {
  auto items = split_list(schemes);
  std::string r;
  for (size_t i = 0; i < items.size(); ++i)
    r += (i == 0 ? "" : (i + 1 == items.size() ? " or " : ", ")) + items[i];
  return r;
}

std::string parse_port(std::string_view p, bool allow_zero, uint16_t& out) {
  uint64_t v = 0;
  uint64_t lo = allow_zero ? 0 : 1;
  if (p.empty()) return "missing port after ':'";
  if (!to_u64(p, v) || v < lo || v > 65535)
    return "port must be a number from " + std::to_string(lo) + " to 65535";
  out = uint16_t(v);
  return "";
}

// HOST or HOST:PORT of a URL; hp.port keeps its (default) value when no port is given.
std::string parse_authority(std::string_view a, host_port& hp) {
  bool bracketed = a[0] == '[';
  size_t host_end = bracketed ? a.find(']') : a.find(':');
  if (bracketed && host_end == std::string_view::npos)
    return "missing ']' after IPv6 address";
  if (!bracketed && host_end != std::string_view::npos && a.rfind(':') != host_end)
    return "IPv6 addresses must be in brackets (e.g. http://[::1]:9300)";
  std::string_view host = bracketed ? a.substr(1, host_end - 1) : a.substr(0, host_end);
  std::string_view rest = bracketed ? a.substr(host_end + 1) : a.substr(host.size());
  if (auto e = check_host(host); !e.empty()) return e;
  if (!rest.empty() && rest[0] != ':') return "unexpected text after ']'";
  if (!rest.empty())
    if (auto e = parse_port(rest.substr(1), false, hp.port); !e.empty()) return e;
  hp.host = std::string(host);
  return "";
}

} // namespace

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
    ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
    --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  if (trim(s).empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    out.push_back(trim(s.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string r;
  for (size_t i = 0; i < items.size(); ++i)
    r += (i ? ", " : "") + items[i];
  return r;
}

std::string parse_uint(std::string_view s, uint64_t lo, uint64_t hi, uint64_t& out) {
  if (s.empty()) return "empty value, expected a whole number";
  if (s[0] == '-') return "must not be negative";
  uint64_t v = 0;
  if (!all_digits(s)) return "not a whole number";
  if (!to_u64(s, v) || v < lo || v > hi)
    return "must be from " + std::to_string(lo) + " to " + std::to_string(hi);
  out = v;
  return "";
}

std::string parse_duration(std::string_view s, millis lo, millis hi, millis& out) {
  const std::string range =
      "must be from " + format_duration(lo) + " to " + format_duration(hi);
  if (s.empty()) return "empty value, expected a duration such as 250ms, 30s or 2m";
  if (s[0] == '-') return "must not be negative";
  size_t n = 0;
  while (n < s.size() && is_digit(s[n]))
    ++n;
  if (n == 0) return "not a duration, expected a number with unit ms, s or m (e.g. 30s)";
  std::string_view num = s.substr(0, n), unit = s.substr(n);
  if (unit.empty()) {
    std::string d(num);
    return "missing unit, write e.g. '" + d + "s' or '" + d + "ms' (units: ms, s, m)";
  }
  if (unit[0] == '.' || unit[0] == ',')
    return "fractions are not allowed, use a smaller unit (e.g. 1500ms instead of 1.5s)";
  uint64_t factor = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : 0;
  if (factor == 0) {
    if (std::isspace(static_cast<unsigned char>(unit[0])))
      return "no space allowed between number and unit (write e.g. '30s')";
    uint64_t hours = 0;
    if (unit == "h" && to_u64(num, hours) && hours < 100000)
      return "unknown unit 'h' (use ms, s or m: write '" + std::to_string(hours * 60) +
             "m')";
    return "unknown unit '" + std::string(unit) + "' (use ms, s or m)";
  }
  uint64_t v = 0;
  if (!to_u64(num, v) || v > uint64_t(hi.count()) / factor) return range;
  millis d{int64_t(v * factor)};
  if (d < lo || d > hi) return range;
  out = d;
  return "";
}

std::string format_duration(millis d) {
  auto ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string check_host(std::string_view host) {
  if (host.empty()) return "missing host";
  if (host.find(':') != std::string_view::npos) {
    in6_addr a6{};
    std::string h(host);
    if (inet_pton(AF_INET6, h.c_str(), &a6) != 1) return "invalid IPv6 address";
    return "";
  }
  for (char c : host) {
    bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    if (!ok) return "invalid host name (allowed: letters, digits, '.', '-', '_')";
  }
  return "";
}

std::string parse_host_port(std::string_view s, bool allow_port_zero, host_port& out) {
  if (s.empty()) return "empty value, expected HOST:PORT (e.g. 127.0.0.1:8080)";
  std::string_view host, port;
  if (s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return "missing ']' after IPv6 address";
    host = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (rest.empty() || rest[0] != ':')
      return "missing ':PORT' after ']' (e.g. [::1]:8080)";
    port = rest.substr(1);
    if (host.empty()) return "missing host";
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos)
      return "missing port, expected HOST:PORT (e.g. 127.0.0.1:8080)";
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return "IPv6 addresses must be in brackets (e.g. [::1]:8080)";
    if (host.empty()) return "missing host before ':', expected HOST:PORT";
  }
  if (auto e = check_host(host); !e.empty()) return e;
  uint16_t p = 0;
  if (auto e = parse_port(port, allow_port_zero, p); !e.empty()) return e;
  out = host_port{std::string(host), p};
  return "";
}

std::string format_host_port(const host_port& hp) {
  bool v6 = hp.host.find(':') != std::string::npos;
  return (v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
}

std::string parse_url(std::string_view s, std::string_view schemes, url_parts& out) {
  if (s.empty())
    return "empty value, expected a URL such as " + or_list(schemes) + "://HOST";
  size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0)
    return "missing scheme, expected " + or_list(schemes) + "://HOST[:PORT][/PATH]";
  std::string scheme;
  for (char c : s.substr(0, sep))
    scheme += char(std::tolower(static_cast<unsigned char>(c)));
  if (!scheme_allowed(scheme, schemes))
    return "scheme must be " + or_list(schemes) + ", not '" + scheme + "'";
  std::string_view rest = s.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return "query strings and fragments are not allowed (the client adds its own)";
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string path =
      slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return "user info ('user@') is not allowed, API keys come from api_key_env";
  if (authority.empty()) return "missing host after '" + scheme + "://'";
  host_port hp{"", default_port(scheme)};
  if (auto e = parse_authority(authority, hp); !e.empty()) return e;
  for (char c : path)
    if (std::isspace(static_cast<unsigned char>(c)))
      return "spaces are not allowed in the path";
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  out = url_parts{scheme, hp.host, hp.port, path};
  return "";
}

std::string format_url(const url_parts& u) {
  bool v6 = u.host.find(':') != std::string::npos;
  std::string r = u.scheme + "://" + (v6 ? "[" + u.host + "]" : u.host);
  if (u.port != default_port(u.scheme)) r += ":" + std::to_string(u.port);
  return r + u.path;
}

std::string check_env_names(std::string_view s) {
  auto names = split_list(s);
  if (names.empty()) return "empty, name the environment variable that holds the API key";
  for (auto& n : names) {
    bool ok = !n.empty() && !is_digit(n[0]);
    for (char c : n)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!ok)
      return "not an environment variable name (letters, digits, '_'; not starting with "
             "a "
             "digit); put the key itself in the environment, never in this file";
  }
  return "";
}

std::string check_ip_or_cidr(std::string_view s) {
  if (s.empty()) return "empty address in list";
  std::string addr(s.substr(0, s.find('/')));
  in_addr a4{};
  in6_addr a6{};
  int max_prefix = 0;
  if (inet_pton(AF_INET, addr.c_str(), &a4) == 1)
    max_prefix = 32;
  else if (inet_pton(AF_INET6, addr.c_str(), &a6) == 1)
    max_prefix = 128;
  else
    return "'" + std::string(s) + "' is not an IPv4 or IPv6 address (or CIDR)";
  if (size_t slash = s.find('/'); slash != std::string_view::npos) {
    uint64_t p = 0;
    if (!to_u64(s.substr(slash + 1), p) || p > uint64_t(max_prefix))
      return "'" + std::string(s) + "' has a bad prefix length (0 to " +
             std::to_string(max_prefix) + ")";
  }
  return "";
}

std::string check_printable(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return "control characters are not allowed";
  }
  return "";
}

} // namespace sb::cfg
