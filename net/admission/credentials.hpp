// Who is calling, proven: authentication of telephony upgrades ([auth]) and of the
// operator HTTP routes ([http] token_env). Pure code, no lws: the edge reads the request
// into `upgrade_request` and answers the verdict.
//
// Modes, per dialect:
//   token      a shared token: "Authorization: Bearer TOKEN" or the query parameter
//              ?token=TOKEN (for clients that cannot set headers)
//   signature  Twilio's X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL)) of the
//              URL as Twilio requested it (wss scheme, host, path, query if any; a
//              WebSocket upgrade has no POST parameters). Twilio's own validators accept
//              the URL with and without the scheme's default port: so do we.
//   basic      HTTP basic credentials: Exotel sends wss://KEY:TOKEN@host/path as
//              "Authorization: Basic base64(KEY:TOKEN)".
// Missing credentials answer 401 (with WWW-Authenticate), wrong ones 403. Secrets and
// presented credentials never appear in a reason. Comparisons take constant time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sb::admission {

enum class auth_mode : uint8_t { none, token, signature, basic };
// "none" | "token" | "signature" | "basic"; false when `s` is none of them.
bool parse_auth_mode(std::string_view s, auth_mode& out);

// Why a request was refused; the label in stats and metrics is to_string().
enum class auth_refusal : uint8_t {
  token_missing = 0,   // telephony, mode token
  token_invalid,
  signature_missing,   // telephony, mode signature
  signature_invalid,
  basic_missing,       // telephony, mode basic
  basic_invalid,
  http_token_missing,  // operator HTTP routes
  http_token_invalid,
};
constexpr size_t auth_refusal_kinds = 8;
const char* to_string(auth_refusal r);

// What the edge read from an upgrade request.
struct upgrade_request {
  std::string host;              // Host header
  std::string uri;               // path, with "?query" when there was one
  std::string authorization;     // Authorization header ("" when absent)
  bool has_token_param = false;  // ?token= present
  std::string token_param;
  bool has_signature = false;    // X-Twilio-Signature present
  std::string signature;
};

// The secrets, read from the environment at start (never from the config file).
struct auth_secrets {
  std::string token;              // mode token
  std::string twilio_auth_token;  // mode signature
  std::string public_url;         // "wss://host[:port][/prefix]" Twilio dials; "" = wss://Host
  std::string basic_credentials;  // mode basic: "KEY:TOKEN"
};

struct auth_verdict {
  bool ok = true;
  auth_refusal why = auth_refusal::token_missing;  // when not ok
  unsigned status = 0;       // 401 missing, 403 wrong
  std::string error;         // unauthenticated | forbidden
  std::string reason;        // for people; never holds a secret
  std::string challenge;     // WWW-Authenticate value for a 401 ("" otherwise)
};

auth_verdict check_upgrade(auth_mode mode, const auth_secrets& secrets,
                           const upgrade_request& req);
// "Authorization: Bearer TOKEN" on the operator HTTP routes.
auth_verdict check_http_bearer(const std::string& token, const std::string& authorization);
// The same token for a page a browser opens (GET /phone): the header, or else the query
// parameter token=TOKEN (`has_param`), since a browser's address bar sets no headers.
auth_verdict check_http_token(const std::string& token, const std::string& authorization,
                              bool has_param, const std::string& param);

// base64(HMAC-SHA1(auth_token, url)): Twilio's signature of a request without POST
// parameters.
std::string twilio_signature(const std::string& auth_token, const std::string& url);
// The URLs Twilio may have signed for an upgrade of `uri` (path and query): the public
// URL (or wss://HOST) with `uri` appended, as written and with the default port 443
// added or removed.
std::vector<std::string> twilio_signed_urls(const std::string& public_url,
                                            const std::string& host, const std::string& uri);
std::string base64(std::string_view bytes);
// Equal, in time that depends only on the lengths.
bool equal_secret(std::string_view a, std::string_view b);

} // namespace sb::admission
