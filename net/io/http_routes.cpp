#include "net/io/http_routes.hpp"

#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "net/io/io_loop.hpp"
#include "net/io/lws_headers.hpp"
#include "net/io/phone_page.hpp"

namespace sb::net {

namespace {

struct response {
  std::string body;
  // A deferred answer (the call records): nothing is sent until it has come; then the
  // headers, then the body.
  uint64_t waiting_id = 0;
  bool headers_due = false;
  unsigned status = 200;
};

// The query parameters the call records take (lws decodes %-escapes).
std::map<std::string, std::string> query_args(lws* wsi) {
  std::map<std::string, std::string> out;
  char buf[256];
  for (int i = 0; lws_hdr_copy_fragment(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
       ++i) {
    std::string kv(buf);
    auto eq = kv.find('=');
    if (eq == std::string::npos)
      out[kv] = "";
    else
      out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

int add_header(lws* wsi, const char* name, const std::string& value, unsigned char** p,
               unsigned char* end) {
  return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()), p, end);
}

using header_list = std::vector<std::pair<const char*, std::string>>;

int send_headers(lws* wsi, unsigned status, const char* ctype, size_t length,
                 const std::string& challenge = {}, const header_list& extra = {}) {
  unsigned char buf[LWS_PRE + 2048];
  unsigned char* start = buf + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf + sizeof buf - 1;
  if (lws_add_http_common_headers(wsi, status, ctype, length, &p, end) ||
      (!challenge.empty() && add_header(wsi, "www-authenticate:", challenge, &p, end)))
    return -1;
  for (auto& [name, value] : extra)
    if (add_header(wsi, name, value, &p, end))
      return -1;
  if (lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  return 0;
}

// The softphone page: nothing cached or passed on (its address may hold the token), no
// framing, no script or connection but its own.
const header_list& phone_headers() {
  static const header_list h{
    {"cache-control:", "no-store"},
    {"referrer-policy:", "no-referrer"},
    {"x-content-type-options:", "nosniff"},
    {"content-security-policy:",
     "default-src 'none'; script-src 'unsafe-inline' blob:; style-src 'unsafe-inline'; "
     "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"}};
  return h;
}

} // namespace

int reject_with_json(lws* wsi, unsigned status, const std::string& error,
                     const std::string& reason, unsigned retry_after_s,
                     const std::string& challenge) {
  auto body = nlohmann::json{{"error", error}, {"reason", reason}}.dump();
  unsigned char buf[LWS_PRE + 2048];
  unsigned char* start = buf + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf + sizeof buf - 1;
  if (lws_add_http_common_headers(wsi, status, "application/json", body.size(), &p, end))
    return -1;
  if (retry_after_s > 0 && add_header(wsi, "retry-after:", std::to_string(retry_after_s), &p, end))
    return -1;
  if (!challenge.empty() && add_header(wsi, "www-authenticate:", challenge, &p, end))
    return -1;
  if (lws_finalize_http_header(wsi, &p, end) || body.size() > size_t(end - p))
    return -1;
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  int n = static_cast<int>(p - start);
  return lws_write(wsi, start, static_cast<size_t>(n), LWS_WRITE_HTTP_HEADERS) == n ? 1 : -1;
}

std::string http_routes::health(unsigned& status) const {
  const auto& o = loop_.options();
  health_inputs in;
  in.draining = loop_.draining();
  in.active_calls = loop_.active_sessions();
  in.max_calls = o.max_calls;
  if (o.degraded)
    in.degraded = o.degraded();
  for (auto& check : o.backends)
    if (check)
      in.backends.push_back(check());
  auto r = evaluate_health(in);
  status = r.http_status;
  nlohmann::json backends = nlohmann::json::object();
  for (auto& b : in.backends)
    backends[b.name] = {{"state", to_string(b.state)}, {"reason", b.reason}};
  nlohmann::json j{{"status", r.status},
                   {"reason", r.reasons.front()},
                   {"reasons", r.reasons},
                   {"node", o.node_name},
                   {"active_calls", in.active_calls},
                   {"max_calls", in.max_calls}};
  if (!in.backends.empty())
    j["backends"] = backends;
  if (o.cluster_json)
    j["cluster"] = nlohmann::json::parse(o.cluster_json(), nullptr, false);
  return j.dump();
}

bool http_routes::operator_route(const std::string& uri) const {
  // Every /api/ route (stats today, call records next) and /metrics; never /health.
  return uri.rfind("/api/", 0) == 0 || uri == "/metrics";
}

int http_routes::request(lws* wsi, void* user, const std::string& uri) {
  unsigned status = 200;
  const char* ctype = "application/json";
  std::string body;
  std::string challenge;
  const auto& o = loop_.options();
  // With [http] listen set, the operator routes live only on that address.
  const bool here = !loop_.ops_vhost() || lws_get_vhost(wsi) == loop_.ops_vhost();
  // The softphone lives beside /ws/twilio, which its page calls.
  const bool calls_here = !loop_.ops_vhost() || lws_get_vhost(wsi) != loop_.ops_vhost();
  if (o.auth.phone && calls_here && (uri == "/phone" || uri == "/phone/"))
    return phone(wsi, user);
  auto denied = admission::auth_verdict{};
  if (here && operator_route(uri))
    denied = admission::check_http_bearer(o.auth.http_token,
                                          header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION));
  if (!denied.ok) {
    ++loop_.probe().auth_refused[static_cast<size_t>(denied.why)];
    status = denied.status;
    challenge = denied.challenge;
    body = nlohmann::json{{"error", denied.error}, {"reason", denied.reason}}.dump();
  } else if (uri == "/health") {
    body = health(status);
  } else if (!here) {
    status = 404;
    body = nlohmann::json{{"error", "not_found"},
                          {"reason", "no route " + uri + " here: see [http] listen"}}
             .dump();
  } else if (uri == "/api/v1/stats" && o.stats_json) {
    body = o.stats_json();
  } else if (uri == "/api/v1/stats/pool" && o.pool_stats_json) {
    body = o.pool_stats_json();
  } else if ((uri == "/api/v1/calls" || uri.rfind("/api/v1/calls/", 0) == 0) &&
             o.call_records) {
    return deferred(wsi, user, uri);
  } else if (uri == "/metrics" && o.metrics_text) {
    body = o.metrics_text();
    ctype = "text/plain; version=0.0.4; charset=utf-8";
  } else {
    status = 404;
    body = nlohmann::json{{"error", "not_found"}, {"reason", "no route " + uri}}.dump();
  }
  return respond(wsi, user, status, ctype, std::move(body), challenge);
}

int http_routes::respond(lws* wsi, void* user, unsigned status, const char* ctype,
                         std::string body, const std::string& challenge,
                         const std::vector<std::pair<const char*, std::string>>& extra) {
  auto* r = new response{std::move(body)};
  *static_cast<response**>(user) = r;
  if (send_headers(wsi, status, ctype, r->body.size(), challenge, extra))
    return -1;
  lws_callback_on_writable(wsi);
  return 0;
}

int http_routes::phone(lws* wsi, void* user) {
  char buf[1024];
  const char* token = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof buf);
  auto v = admission::check_http_token(loop_.options().auth.http_token,
                                       header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION),
                                       token != nullptr, token ? token : "");
  if (!v.ok) {
    ++loop_.probe().auth_refused[static_cast<size_t>(v.why)];
    return respond(wsi, user, v.status, "application/json",
                   nlohmann::json{{"error", v.error}, {"reason", v.reason}}.dump(),
                   v.challenge);
  }
  return respond(wsi, user, 200, "text/html; charset=utf-8", std::string(phone_page_html()),
                 {}, phone_headers());
}

int http_routes::deferred(lws* wsi, void* user, const std::string& uri) {
  auto* r = new response{};
  r->waiting_id = next_id_++;
  *static_cast<response**>(user) = r;
  waiting_.emplace(r->waiting_id, wsi);
  loop_.options().call_records(
    uri, query_args(wsi), [this, id = r->waiting_id](unsigned status, std::string body) {
      // From another thread: back to the I/O thread (dropped if it has stopped).
      loop_.post([this, id, status, b = std::move(body)]() mutable {
        deliver(id, status, std::move(b));
      });
    });
  return 0;
}

void http_routes::deliver(uint64_t id, unsigned status, std::string body) {
  auto i = waiting_.find(id);
  if (i == waiting_.end())
    return;  // the client went away meanwhile
  auto* wsi = i->second;
  waiting_.erase(i);
  auto* r = *static_cast<response**>(lws_wsi_user(wsi));
  if (!r)
    return;
  r->waiting_id = 0;
  r->headers_due = true;
  r->status = status;
  r->body = std::move(body);
  lws_callback_on_writable(wsi);
}

int http_routes::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                          size_t len) {
  auto** slot = static_cast<response**>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      return request(wsi, user, std::string(static_cast<const char*>(in)));
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      if (!slot || !*slot)
        return 0;
      auto* r = *slot;
      if (r->waiting_id)
        return 0;  // the answer has not come yet
      if (r->headers_due) {
        r->headers_due = false;
        if (send_headers(wsi, r->status, "application/json", r->body.size()))
          return -1;
        lws_callback_on_writable(wsi);
        return 0;
      }
      std::string buf(LWS_PRE + r->body.size(), '\0');
      std::memcpy(buf.data() + LWS_PRE, r->body.data(), r->body.size());
      int n = lws_write(wsi, reinterpret_cast<unsigned char*>(buf.data() + LWS_PRE),
                        r->body.size(), LWS_WRITE_HTTP_FINAL);
      delete r;
      *slot = nullptr;
      if (n < 0)
        return -1;
      return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
      if (slot && *slot) {
        if ((*slot)->waiting_id)
          waiting_.erase((*slot)->waiting_id);
        delete *slot;
        *slot = nullptr;
      }
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

} // namespace sb::net
