#include "runtime/auth_env.hpp"

#include <cstdlib>

namespace sb {

namespace {

bool from_env(const std::string& var, const std::string& needed_by, std::string& out,
              std::string& error) {
  const char* v = std::getenv(var.c_str());
  if (!v || !*v) {
    error = needed_by + " needs a secret in $" + var + ", which is not set";
    return false;
  }
  out = v;
  return true;
}

} // namespace

bool load_edge_auth(const node_config& cfg, net::edge_auth& out, std::string& error) {
  const auto& a = cfg.auth;
  if (!admission::parse_auth_mode(a.twilio, out.twilio) ||
      !admission::parse_auth_mode(a.exotel, out.exotel)) {
    error = "[auth] twilio / exotel: unknown mode";
    return false;
  }
  out.secrets.public_url = a.public_url;
  auto needs = [&](admission::auth_mode m) { return out.twilio == m || out.exotel == m; };
  auto who = [&](admission::auth_mode m) {
    std::string s;
    if (out.twilio == m) s = "[auth] twilio = " + a.twilio;
    if (out.exotel == m) s += (s.empty() ? "" : " and ") + ("[auth] exotel = " + a.exotel);
    return s;
  };
  if (needs(admission::auth_mode::token) &&
      !from_env(a.token_env, who(admission::auth_mode::token) + " ([auth] token_env)",
                out.secrets.token, error))
    return false;
  if (needs(admission::auth_mode::signature) &&
      !from_env(a.twilio_auth_token_env, "[auth] twilio = signature ([auth] twilio_auth_token_env)",
                out.secrets.twilio_auth_token, error))
    return false;
  if (needs(admission::auth_mode::basic)) {
    if (!from_env(a.exotel_credentials_env,
                  "[auth] exotel = basic ([auth] exotel_credentials_env)",
                  out.secrets.basic_credentials, error))
      return false;
    auto colon = out.secrets.basic_credentials.find(':');
    if (colon == 0 || colon == std::string::npos ||
        colon + 1 == out.secrets.basic_credentials.size()) {
      out.secrets.basic_credentials.clear();
      error = "$" + a.exotel_credentials_env + " must hold KEY:TOKEN ([auth] exotel = basic)";
      return false;
    }
  }
  if (!cfg.http.token_env.empty() &&
      !from_env(cfg.http.token_env, "[http] token_env", out.http_token, error))
    return false;
  return true;
}

} // namespace sb
