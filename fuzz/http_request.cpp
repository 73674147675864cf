// What the node reads from an HTTP upgrade request (net/admission, net/io): the request
// path (parse_path), X-Forwarded-For behind trusted proxies (client_address, parse_ip,
// parse_cidr) and the credentials of the [auth] modes (check_upgrade,
// check_http_bearer, twilio_signed_urls). The input is one field per line: peer,
// X-Forwarded-For, trusted proxies (comma-separated), Host, request URI, Authorization,
// ?token= value, X-Twilio-Signature.
// - A path is routed only under /ws/twilio or /ws/exotel, its route what follows.
// - The client is the peer unless the peer is a trusted proxy, and always an address
//   when the peer is one; addresses and ranges print and parse back to themselves.
// - A refusal is 401 (missing) or 403 (wrong) with a reason that holds no secret; a
//   request is let in only with the right credential; the right credential (the token,
//   Twilio's signature of the URL, the basic credentials) always lets it in.
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/check.hpp"
#include "net/admission/client_address.hpp"
#include "net/admission/credentials.hpp"
#include "net/io/telephony_path.hpp"

using namespace sb;
using namespace sb::admission;
using sb::fuzz::check;

namespace {

std::string next_line(std::string_view& in) {
  auto nl = in.find('\n');
  std::string line(in.substr(0, nl));
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  return line;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= s.size() && out.size() < 8) {
    auto comma = s.find(',', from);
    out.push_back(s.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    if (comma == std::string::npos)
      break;
    from = comma + 1;
  }
  return out;
}

const auth_secrets secrets{"tok-3f9a1c", "twilio-auth-7d2e", "", "AC123:exo-9b8c"};

void check_refusal(const auth_verdict& v) {
  if (v.ok)
    return;
  check(v.status == 401 || v.status == 403, "a refusal that is not 401 or 403");
  check((v.status == 401) == !v.challenge.empty(), "a 401 without a challenge (or a 403 with one)");
  check(!v.reason.empty(), "a refusal without a reason");
  for (auto* s : {&secrets.token, &secrets.twilio_auth_token, &secrets.basic_credentials})
    check(v.reason.find(*s) == std::string::npos, "a secret in a refusal's reason");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string peer = next_line(in), xff = next_line(in), proxies = next_line(in);
  upgrade_request req;
  req.host = next_line(in);
  req.uri = next_line(in);
  req.authorization = next_line(in);
  req.has_token_param = !in.empty();
  req.token_param = next_line(in);
  req.has_signature = !in.empty();
  req.signature = next_line(in);

  dialect kind{};
  std::string route;
  if (net::parse_path(req.uri, kind, route)) {
    std::string base = kind == dialect::twilio ? "/ws/twilio" : "/ws/exotel";
    check(req.uri == base || req.uri == base + "/" + route, "a path routed wrongly");
  } else {
    check(req.uri.rfind("/ws/twilio/", 0) != 0 && req.uri.rfind("/ws/exotel/", 0) != 0 &&
            req.uri != "/ws/twilio" && req.uri != "/ws/exotel",
          "a telephony path not routed");
  }

  auto items = split(proxies);
  for (auto& item : items)
    if (auto c = parse_cidr(item)) {
      check(c->prefix <= (c->base.v6 ? 128u : 32u), "a prefix too long");
      check(c->contains(c->base), "a range without its own base");
      auto again = parse_cidr(to_string(c->base) + "/" + std::to_string(c->prefix));
      check(again && again->base == c->base && again->prefix == c->prefix,
            "a range does not print and parse back");
    }
  cidr_list trusted(items);
  auto client = client_address(peer, xff, trusted);
  if (auto p = parse_ip(peer)) {
    check(parse_ip(to_string(*p)) == p, "an address does not print and parse back");
    auto c = parse_ip(client);
    check(c.has_value(), "the client of an address peer is not an address");
    if (!trusted.contains(*p))
      check(*c == *p, "an untrusted peer's header was believed");
  } else {
    check(client == peer, "a peer that is not an address was changed");
  }

  for (auto mode : {auth_mode::token, auth_mode::signature, auth_mode::basic}) {
    auto v = check_upgrade(mode, secrets, req);
    check_refusal(v);
    if (!v.ok && mode == auth_mode::token)
      continue;
    if (v.ok && mode == auth_mode::token)
      check(req.authorization.find(secrets.token) != std::string::npos ||
              req.token_param == secrets.token,
            "let in without the token");
    if (v.ok && mode == auth_mode::signature) {
      bool signed_url = false;
      for (auto& url : twilio_signed_urls(secrets.public_url, req.host, req.uri))
        signed_url |= twilio_signature(secrets.twilio_auth_token, url) == req.signature;
      check(signed_url, "let in without Twilio's signature");
    }
    if (v.ok && mode == auth_mode::basic)
      check(req.authorization.find(base64(secrets.basic_credentials)) != std::string::npos,
            "let in without the basic credentials");
  }
  check_refusal(check_http_bearer(secrets.token, req.authorization));

  // The right credentials, for this host and URI.
  upgrade_request good = req;
  good.authorization = "Bearer " + secrets.token;
  check(check_upgrade(auth_mode::token, secrets, good).ok, "the token was refused");
  check(check_http_bearer(secrets.token, good.authorization).ok, "the bearer was refused");
  good.authorization = "Basic " + base64(secrets.basic_credentials);
  check(check_upgrade(auth_mode::basic, secrets, good).ok, "basic credentials refused");
  auto urls = twilio_signed_urls(secrets.public_url, req.host, req.uri);
  check(!urls.empty(), "no URL Twilio could have signed");
  for (auto& url : urls) {
    good.has_signature = true;
    good.signature = twilio_signature(secrets.twilio_auth_token, url);
    check(check_upgrade(auth_mode::signature, secrets, good).ok, "Twilio's signature refused");
  }
  return 0;
}
