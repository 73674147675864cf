#include "tools/provider_sim/lws_util.hpp"

#include <cstring>
#include <vector>

namespace sb::sim {

std::string header_value(lws* wsi, lws_token_indexes token) {
  int n = lws_hdr_total_length(wsi, token);
  if (n <= 0) return {};
  std::vector<char> b(size_t(n) + 1);
  if (lws_hdr_copy(wsi, b.data(), n + 1, token) < 0) return {};
  return b.data();
}

std::string custom_header_value(lws* wsi, const char* name) {
  int nlen = int(std::strlen(name));
  int n = lws_hdr_custom_length(wsi, name, nlen);
  if (n <= 0) return {};
  std::vector<char> b(size_t(n) + 1);
  if (lws_hdr_custom_copy(wsi, b.data(), n + 1, name, nlen) < 0) return {};
  return b.data();
}

query_map query_args(lws* wsi) {
  query_map q;
  char buf[1024];
  for (int i = 0;
       lws_hdr_copy_fragment(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_URI_ARGS, i) >= 0;
       ++i) {
    std::string arg = buf;
    auto eq = arg.find('=');
    if (eq == std::string::npos)
      q[arg] = "";
    else
      q[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  return q;
}

http_request request_head(lws* wsi, std::string path) {
  http_request r;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
    r.method = "POST";
  else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
    r.method = "GET";
  else
    r.method = "OTHER";
  r.path = std::move(path);
  r.query = query_args(wsi);
  r.authorization = header_value(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  r.xi_api_key = custom_header_value(wsi, "xi-api-key:");
  r.content_type = header_value(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
  return r;
}

} // namespace sb::sim
