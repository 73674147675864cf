#include "net/admission/credentials.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace sb::admission {

namespace {

bool iequal_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

// The credentials after "SCHEME " in an Authorization header, or "" (scheme is
// case-insensitive, RFC 7235).
std::string credentials_of(std::string_view authorization, std::string_view scheme) {
  if (!iequal_prefix(authorization, scheme) || authorization.size() <= scheme.size() ||
      authorization[scheme.size()] != ' ')
    return {};
  auto rest = authorization.substr(scheme.size());
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ')
    rest.remove_suffix(1);
  return std::string(rest);
}

auth_verdict refuse(auth_refusal why, bool missing, std::string reason,
                    std::string challenge = {}) {
  auth_verdict v;
  v.ok = false;
  v.why = why;
  v.status = missing ? 401 : 403;
  v.error = missing ? "unauthenticated" : "forbidden";
  v.reason = std::move(reason);
  if (missing)
    v.challenge = std::move(challenge);
  return v;
}

auth_verdict check_token(const auth_secrets& s, const upgrade_request& r) {
  auto bearer = credentials_of(r.authorization, "Bearer");
  if (bearer.empty() && !r.has_token_param)
    return refuse(auth_refusal::token_missing, true,
                  "this endpoint needs a token: send 'Authorization: Bearer <token>' or "
                  "the query parameter token=<token>",
                  R"(Bearer realm="switchboard")");
  bool ok = bearer.empty() ? equal_secret(r.token_param, s.token)
                           : equal_secret(bearer, s.token);
  if (!ok)
    return refuse(auth_refusal::token_invalid, false, "the token is not valid");
  return {};
}

auth_verdict check_signature(const auth_secrets& s, const upgrade_request& r) {
  if (!r.has_signature || r.signature.empty())
    return refuse(auth_refusal::signature_missing, true,
                  "this endpoint takes Twilio media streams only: X-Twilio-Signature "
                  "is missing",
                  R"(X-Twilio-Signature realm="switchboard")");
  for (auto& url : twilio_signed_urls(s.public_url, r.host, r.uri))
    if (equal_secret(twilio_signature(s.twilio_auth_token, url), r.signature))
      return {};
  return refuse(auth_refusal::signature_invalid, false,
                "X-Twilio-Signature does not match this URL and the account's auth token");
}

auth_verdict check_basic(const auth_secrets& s, const upgrade_request& r) {
  auto given = credentials_of(r.authorization, "Basic");
  if (given.empty())
    return refuse(auth_refusal::basic_missing, true,
                  "this endpoint needs HTTP basic credentials (wss://KEY:TOKEN@host/...)",
                  R"(Basic realm="switchboard")");
  if (!equal_secret(given, base64(s.basic_credentials)))
    return refuse(auth_refusal::basic_invalid, false, "the credentials are not valid");
  return {};
}

// Splits "scheme://authority/rest" into its authority and the rest ("" or "/...").
bool split_url(const std::string& url, std::string& scheme, std::string& authority,
               std::string& rest) {
  auto sep = url.find("://");
  if (sep == std::string::npos)
    return false;
  scheme = url.substr(0, sep);
  auto from = sep + 3;
  auto slash = url.find('/', from);
  authority = url.substr(from, slash == std::string::npos ? std::string::npos : slash - from);
  rest = slash == std::string::npos ? std::string{} : url.substr(slash);
  return !authority.empty();
}

} // namespace

bool parse_auth_mode(std::string_view s, auth_mode& out) {
  if (s == "none") out = auth_mode::none;
  else if (s == "token") out = auth_mode::token;
  else if (s == "signature") out = auth_mode::signature;
  else if (s == "basic") out = auth_mode::basic;
  else return false;
  return true;
}

const char* to_string(auth_refusal r) {
  switch (r) {
    case auth_refusal::token_missing: return "token_missing";
    case auth_refusal::token_invalid: return "token_invalid";
    case auth_refusal::signature_missing: return "signature_missing";
    case auth_refusal::signature_invalid: return "signature_invalid";
    case auth_refusal::basic_missing: return "basic_missing";
    case auth_refusal::basic_invalid: return "basic_invalid";
    case auth_refusal::http_token_missing: return "http_token_missing";
    case auth_refusal::http_token_invalid: return "http_token_invalid";
  }
  return "?";
}

auth_verdict check_upgrade(auth_mode mode, const auth_secrets& secrets,
                           const upgrade_request& req) {
  switch (mode) {
    case auth_mode::none: return {};
    case auth_mode::token: return check_token(secrets, req);
    case auth_mode::signature: return check_signature(secrets, req);
    case auth_mode::basic: return check_basic(secrets, req);
  }
  return {};
}

auth_verdict check_http_bearer(const std::string& token, const std::string& authorization) {
  if (token.empty())
    return {};
  auto given = credentials_of(authorization, "Bearer");
  if (given.empty())
    return refuse(auth_refusal::http_token_missing, true,
                  "this route needs 'Authorization: Bearer <token>' ([http] token_env)",
                  R"(Bearer realm="switchboard")");
  if (!equal_secret(given, token))
    return refuse(auth_refusal::http_token_invalid, false, "the token is not valid");
  return {};
}

auth_verdict check_http_token(const std::string& token, const std::string& authorization,
                              bool has_param, const std::string& param) {
  if (token.empty() || !credentials_of(authorization, "Bearer").empty())
    return check_http_bearer(token, authorization);
  if (!has_param)
    return refuse(auth_refusal::http_token_missing, true,
                  "this page needs the [http] token_env token: open it with ?token=<token> "
                  "(or send 'Authorization: Bearer <token>')",
                  R"(Bearer realm="switchboard")");
  if (!equal_secret(param, token))
    return refuse(auth_refusal::http_token_invalid, false, "the token is not valid");
  return {};
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

std::string twilio_signature(const std::string& auth_token, const std::string& url) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
            reinterpret_cast<const unsigned char*>(url.data()), url.size(), mac, &len))
    return {};
  return base64(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::vector<std::string> twilio_signed_urls(const std::string& public_url,
                                            const std::string& host, const std::string& uri) {
  std::string base = public_url.empty() ? "wss://" + host : public_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  std::vector<std::string> out{base + uri};
  std::string scheme, authority, prefix;
  if (!split_url(base, scheme, authority, prefix))
    return out;
  const std::string dflt = (scheme == "ws" || scheme == "http") ? ":80" : ":443";
  // An IPv6 literal's colons are inside its brackets: a port comes after the last ']'.
  auto colon = authority.rfind(':');
  auto bracket = authority.rfind(']');
  bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  std::string other;
  if (!has_port)
    other = authority + dflt;
  else if (authority.compare(colon, std::string::npos, dflt) == 0)
    other = authority.substr(0, colon);
  if (!other.empty())
    out.push_back(scheme + "://" + other + prefix + uri);
  return out;
}

bool equal_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace sb::admission
