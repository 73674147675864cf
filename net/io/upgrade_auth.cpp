#include "net/io/upgrade_auth.hpp"

#include <spdlog/spdlog.h>

#include "net/io/http_routes.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/lws_headers.hpp"

namespace sb::net {

static_assert(net_probe::auth_refusal_kinds == admission::auth_refusal_kinds);

admission::auth_verdict upgrade_auth::check(lws* wsi, dialect kind, const std::string& path) {
  auto mode = kind == dialect::twilio ? cfg_.twilio : cfg_.exotel;
  if (mode == admission::auth_mode::none)
    return {};
  // The softphone's calls (GET /phone): a browser sets no headers on a WebSocket, so the
  // page sends the [http] token it was opened with as ?phone_token= (its own name: the
  // operator's token never passes for the stream token of ?token=).
  if (kind == dialect::twilio && cfg_.phone && !cfg_.http_token.empty()) {
    char buf[1024];
    const char* t = lws_get_urlarg_by_name(wsi, "phone_token=", buf, sizeof buf);
    if (t && admission::equal_secret(t, cfg_.http_token))
      return {};
  }
  admission::upgrade_request req;
  req.host = header(wsi, WSI_TOKEN_HOST);
  auto query = query_string(wsi);
  req.uri = query.empty() ? path : path + "?" + query;
  req.authorization = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  char buf[1024];
  if (const char* t = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof buf)) {
    req.has_token_param = true;
    req.token_param = t;
  }
  req.has_signature = custom_header(wsi, "x-twilio-signature:", req.signature);
  auto v = admission::check_upgrade(mode, cfg_.secrets, req);
  if (!v.ok) {
    ++probe_.auth_refused[static_cast<size_t>(v.why)];
    ++probe_.upgrades_refused;
    char peer[64] = {0};
    lws_get_peer_simple(wsi, peer, sizeof peer);
    // The path only: a query string may hold a token. Debug only, as admission's
    // refusals: a flood would fill the log.
    spdlog::debug("refused upgrade {} from {}: {} {}", path, peer, v.status,
                 admission::to_string(v.why));
  }
  return v;
}

int upgrade_auth::confirm(lws* wsi, dialect kind, const std::string& path) {
  auto v = check(wsi, kind, path);
  if (v.ok)
    return 0;
  return reject_with_json(wsi, v.status, v.error, v.reason, 0, v.challenge);
}

} // namespace sb::net
