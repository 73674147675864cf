#include "tools/provider_sim/http_glue.hpp"

#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "tools/provider_sim/http_writer.hpp"
#include "tools/provider_sim/lws_util.hpp"
#include "tools/provider_sim/routes.hpp"

namespace sb::sim {

namespace {

constexpr size_t max_body = 2 * 1024 * 1024;

// State of one HTTP connection; survives keep-alive transactions.
struct http_conn {
  http_request req;
  unsigned refusal = 0; // 411 / 413: answered without routing, then closed
  std::unique_ptr<http_txn> txn;
};

} // namespace

struct http_session {
  http_conn* conn;
};

namespace {

http_conn* conn_of(lws* wsi) {
  auto* ps = static_cast<http_session*>(lws_wsi_user(wsi));
  return ps ? ps->conn : nullptr;
}

route_result refused_body(unsigned status) {
  const char* why = status == 411 ? "send the request body with Content-Length"
                                  : "request body larger than 2 MB";
  route_result r{json_reply(status, {{"error", why}}), {}};
  r.reply.header("connection", "close");
  r.reply.close_after = true;
  return r;
}

void end_txn(sim_app& app, lws* wsi, http_conn& c) {
  c.txn.reset(); // releases the concurrency slot
  app.http_active.erase(wsi);
}

int dispatch(sim_app& app, lws* wsi, http_conn& c) {
  int64_t now = now_us();
  if (c.req.path.rfind("/sim/", 0) != 0) {
    ++app.services.http_requests;
    if (app.api_connections.insert(wsi).second) ++app.services.http_connections;
  }
  route_result r =
      c.refusal ? refused_body(c.refusal) : route_http(app.services, c.req, now);
  c.req = {};
  c.txn = std::make_unique<http_txn>();
  c.txn->reply = std::move(r.reply);
  c.txn->slot = std::move(r.slot);
  app.http_active.insert(wsi);
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0); // slow or hanging replies are on purpose
  if (c.txn->next_write_due() <= now) lws_callback_on_writable(wsi);
  return 0;
}

int on_request(sim_app& app, lws* wsi, http_session* ps, const char* path) {
  if (!ps) return -1;
  if (!ps->conn) ps->conn = new http_conn();
  http_conn& c = *ps->conn;
  if (c.txn) // a new request while a reply is still being sent: not HTTP/1.1
    return -1;
  c.req = request_head(wsi, path ? path : "/");
  c.refusal = 0;
  if (!header_value(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING).empty())
    c.refusal = 411; // lws 4.1 delivers no chunked request bodies
  else if (c.req.method == "POST" &&
           std::atol(header_value(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH).c_str()) > 0)
    return 0; // wait for HTTP_BODY / HTTP_BODY_COMPLETION
  return dispatch(app, wsi, c);
}

int on_body(http_session* ps, const void* in, size_t len) {
  if (!ps || !ps->conn) return -1;
  http_conn& c = *ps->conn;
  if (c.req.body.size() + len > max_body)
    c.refusal = 413;
  else
    c.req.body.append(static_cast<const char*>(in), len);
  return 0;
}

int on_writeable(sim_app& app, lws* wsi, http_session* ps) {
  if (!ps || !ps->conn || !ps->conn->txn) return 0;
  http_conn& c = *ps->conn;
  int64_t now = now_us();
  switch (write_step(wsi, *c.txn, now)) {
  case write_status::more:
    if (c.txn->next_write_due() <= now) lws_callback_on_writable(wsi);
    return 0; // otherwise the tick asks again when due
  case write_status::done: {
    bool close = c.txn->reply.close_after;
    end_txn(app, wsi, c);
    return close || lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  case write_status::failed:
    end_txn(app, wsi, c);
    return -1;
  }
  return -1;
}

void on_closed(sim_app& app, lws* wsi, http_session* ps) {
  if (!ps || !ps->conn) return;
  end_txn(app, wsi, *ps->conn);
  delete ps->conn;
  ps->conn = nullptr;
}

} // namespace

int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                  size_t len) {
  auto* ps = static_cast<http_session*>(user);
  switch (reason) {
  case LWS_CALLBACK_HTTP:
    return on_request(app_of(wsi), wsi, ps, static_cast<const char*>(in));
  case LWS_CALLBACK_HTTP_BODY:
    return on_body(ps, in, len);
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    return ps && ps->conn ? dispatch(app_of(wsi), wsi, *ps->conn) : -1;
  case LWS_CALLBACK_HTTP_WRITEABLE:
    return on_writeable(app_of(wsi), wsi, ps);
  case LWS_CALLBACK_CLOSED_HTTP:
    app_of(wsi).api_connections.erase(wsi); // the TCP connection is gone
    on_closed(app_of(wsi), wsi, ps);
    break;
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL: // between keep-alive transactions, or at the close
    on_closed(app_of(wsi), wsi, ps);
    break;
  default:
    break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

void http_tick(sim_app& app, int64_t now) {
  for (lws* wsi : app.http_active) {
    http_conn* c = conn_of(wsi);
    if (c && c->txn && c->txn->next_write_due() <= now) lws_callback_on_writable(wsi);
  }
}

} // namespace sb::sim
