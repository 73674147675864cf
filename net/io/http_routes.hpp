// Plain HTTP on the telephony port: /health, /api/v1/stats, /api/v1/stats/pool, /metrics,
// the call records, and the softphone page (/phone, net/io/phone_page.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <libwebsockets.h>

namespace sb::net {

class io_loop;

// Answers a refused WebSocket upgrade: status, JSON {"error","reason"}, Retry-After
// (seconds) when retry_after_s is not 0, WWW-Authenticate when `challenge` is not "".
// Returns what HTTP_CONFIRM_UPGRADE must return.
int reject_with_json(lws* wsi, unsigned status, const std::string& error,
                     const std::string& reason, unsigned retry_after_s = 0,
                     const std::string& challenge = {});

class http_routes {
public:
  explicit http_routes(io_loop& loop) : loop_(loop) {}
  int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  // The body of GET /health and its status (200 or 503).
  std::string health(unsigned& status) const;

private:
  int request(lws* wsi, void* user, const std::string& uri);
  // Sends the headers; the body goes when the connection is writable.
  int respond(lws* wsi, void* user, unsigned status, const char* ctype, std::string body,
              const std::string& challenge = {},
              const std::vector<std::pair<const char*, std::string>>& extra = {});
  // GET /phone when [http] phone serves it: the page, or 401/403 without its token.
  int phone(lws* wsi, void* user);
  // /api/v1/calls...: asks io_options::call_records and answers when it does.
  int deferred(lws* wsi, void* user, const std::string& uri);
  void deliver(uint64_t id, unsigned status, std::string body);
  std::unordered_map<uint64_t, lws*> waiting_;  // deferred answers not come yet
  uint64_t next_id_ = 1;
  // An operator route (every /api/ route, /metrics): served where [http] says, with its
  // token.
  bool operator_route(const std::string& uri) const;
  io_loop& loop_;
};

} // namespace sb::net
