// Reading request headers of an lws connection (I/O thread).
#pragma once

#include <string>

#include <libwebsockets.h>

namespace sb::net {

// A known header's value, "" when absent or longer than `limit`.
inline std::string header(lws* wsi, lws_token_indexes token, int limit = 4096) {
  int n = lws_hdr_total_length(wsi, token);
  if (n <= 0 || n > limit)
    return {};
  std::string v(static_cast<size_t>(n) + 1, '\0');
  if (lws_hdr_copy(wsi, v.data(), n + 1, token) < 0)
    return {};
  v.resize(static_cast<size_t>(n));
  return v;
}

// A header lws does not know by index; `name` ends with ':' ("x-twilio-signature:").
// False when absent (or longer than `limit`).
inline bool custom_header(lws* wsi, const char* name, std::string& out, int limit = 4096) {
  int nlen = static_cast<int>(std::char_traits<char>::length(name));
  int n = lws_hdr_custom_length(wsi, name, nlen);
  if (n < 0 || n > limit)
    return false;
  std::string v(static_cast<size_t>(n) + 1, '\0');
  if (lws_hdr_custom_copy(wsi, v.data(), n + 1, name, nlen) < 0)
    return false;
  v.resize(static_cast<size_t>(n));
  out = std::move(v);
  return true;
}

// The query string as received ("a=1&b=2", "" without one): lws keeps its parts as
// fragments of WSI_TOKEN_HTTP_URI_ARGS.
inline std::string query_string(lws* wsi) {
  std::string out;
  char buf[1024];
  for (int i = 0;; ++i) {
    int n = lws_hdr_copy_fragment(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n <= 0)
      break;
    out += (out.empty() ? "" : "&") + std::string(buf, static_cast<size_t>(n));
  }
  return out;
}

} // namespace sb::net
