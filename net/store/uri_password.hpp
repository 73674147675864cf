// Where a connection URI holds a password, so that it never reaches what is shown (logs,
// errors, /api/v1/stats, check-config): libpq takes one in the user info
// ("postgresql://user:PASSWORD@host/db") and as a query parameter ("?password=PASSWORD").
// Header-only and pure: the config loader uses it too, without linking the stores.
#pragma once

#include <cctype>
#include <string>
#include <vector>

namespace sb::store {

struct password_span {
  size_t value_begin = 0, value_end = 0;  // the password as written (maybe %-encoded)
  size_t whole_begin = 0, whole_end = 0;  // what removing it removes (":" or "password=")
};

namespace detail {

inline std::string percent_decoded(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto hex = [&](size_t j) { return std::isxdigit(static_cast<unsigned char>(s[j])); };
    if (s[i] == '%' && i + 2 < s.size() && hex(i + 1) && hex(i + 2)) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

} // namespace detail

// The passwords in `uri`, first to last, read the way libpq reads a URI: the user info
// ends at the first '@' before any '/', the password is what follows its first ':'.
inline std::vector<password_span> password_spans(const std::string& uri) {
  std::vector<password_span> out;
  const auto scheme = uri.find("://");
  if (scheme == std::string::npos)
    return out;
  const size_t start = scheme + 3;
  size_t host = start;
  const auto at = uri.find_first_of("@/", start);
  if (at != std::string::npos && uri[at] == '@') {
    const auto colon = uri.find(':', start);
    if (colon < at)
      out.push_back({colon + 1, at, colon, at});
    host = at + 1;
  }
  for (auto sep = uri.find('?', host); sep != std::string::npos;) {
    const size_t key = sep + 1;
    const auto amp = uri.find('&', key);
    const size_t stop = amp == std::string::npos ? uri.size() : amp;
    const auto eq = uri.find('=', key);
    if (eq < stop && detail::percent_decoded(uri.substr(key, eq - key)) == "password") {
      // "?password=x&y=1" loses "password=x&"; "&password=x" and "?password=x" lose all.
      if (uri[sep] == '?' && amp != std::string::npos)
        out.push_back({eq + 1, stop, key, stop + 1});
      else
        out.push_back({eq + 1, stop, sep, stop});
    }
    sep = amp;
  }
  return out;
}

// `uri` with each password replaced by `mask` ("<set>" in check-config's output).
inline std::string with_password_as(std::string uri, const std::string& mask) {
  auto spans = password_spans(uri);
  for (auto i = spans.rbegin(); i != spans.rend(); ++i)
    uri.replace(i->value_begin, i->value_end - i->value_begin, mask);
  return uri;
}

// `uri` without its passwords ("postgresql://sb:pw@db/x" -> "postgresql://sb@db/x").
inline std::string without_password(std::string uri) {
  auto spans = password_spans(uri);
  for (auto i = spans.rbegin(); i != spans.rend(); ++i)
    uri.erase(i->whole_begin, i->whole_end - i->whole_begin);
  return uri;
}

// The passwords as written, and as libpq reads them (%-decoded): the texts to keep out
// of a message that may quote the URI.
inline std::vector<std::string> password_texts(const std::string& uri) {
  std::vector<std::string> out;
  for (auto& s : password_spans(uri)) {
    auto raw = uri.substr(s.value_begin, s.value_end - s.value_begin);
    if (raw.empty())
      continue;
    out.push_back(raw);
    auto plain = detail::percent_decoded(raw);
    if (plain != raw)
      out.push_back(plain);
  }
  return out;
}

} // namespace sb::store
