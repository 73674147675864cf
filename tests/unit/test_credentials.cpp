// Credentials of telephony upgrades and operator routes (net/admission/credentials):
// Twilio's signature against Twilio's published example, the URLs Twilio may have signed,
// and each mode with valid, wrong and missing credentials.
#include <catch2/catch.hpp>

#include "net/admission/credentials.hpp"

using namespace sb::admission;
using strings = std::vector<std::string>;

namespace {

const std::string auth_token = "tw-auth-token-7f3a";

auth_secrets secrets() {
  auth_secrets s;
  s.token = "edge-token-91c2";
  s.twilio_auth_token = auth_token;
  s.basic_credentials = "exo-key:exo-token-55d1";
  return s;
}

// No reason or challenge may carry a secret.
void check_no_secret(const auth_verdict& v) {
  for (auto& secret : {std::string("edge-token"), std::string("tw-auth-token"),
                       std::string("exo-token"), std::string("exo-key")}) {
    CHECK(v.reason.find(secret) == std::string::npos);
    CHECK(v.challenge.find(secret) == std::string::npos);
  }
}

} // namespace

TEST_CASE("twilio_signature reproduces Twilio's published example") {
  // Twilio's request-validation example: auth token 12345, this URL, and the POST
  // parameters sorted by name, each name followed by its value, appended to it.
  std::string signed_text = "https://mycompany.com/myapp.php?foo=1&bar=2"
                            "CallSidCA1234567890ABCDE"
                            "Caller+14158675309"
                            "Digits1234"
                            "From+14158675309"
                            "To+18005551212";
  CHECK(twilio_signature("12345", signed_text) == "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  CHECK(twilio_signature("12346", signed_text) != "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

TEST_CASE("the URLs Twilio may have signed: as dialled, with and without the default port") {
  CHECK(twilio_signed_urls("", "voice.example.com", "/ws/twilio") ==
        strings{"wss://voice.example.com/ws/twilio", "wss://voice.example.com:443/ws/twilio"});
  CHECK(twilio_signed_urls("", "voice.example.com:443", "/ws/twilio/sales") ==
        strings{"wss://voice.example.com:443/ws/twilio/sales",
                "wss://voice.example.com/ws/twilio/sales"});
  CHECK(twilio_signed_urls("", "voice.example.com:8443", "/ws/twilio") ==
        strings{"wss://voice.example.com:8443/ws/twilio"});
  // Behind a proxy that rewrites Host and adds a path prefix: public_url says what
  // Twilio dialled.
  CHECK(twilio_signed_urls("wss://edge.example.com/voice/", "10.0.0.7:8080", "/ws/twilio") ==
        strings{"wss://edge.example.com/voice/ws/twilio",
                "wss://edge.example.com:443/voice/ws/twilio"});
  CHECK(twilio_signed_urls("", "[2001:db8::1]", "/ws/twilio") ==
        strings{"wss://[2001:db8::1]/ws/twilio", "wss://[2001:db8::1]:443/ws/twilio"});
  CHECK(twilio_signed_urls("", "h", "/ws/twilio?x=1") ==
        strings{"wss://h/ws/twilio?x=1", "wss://h:443/ws/twilio?x=1"});
}

TEST_CASE("signature mode: valid, wrong, missing, and for another URL") {
  upgrade_request r;
  r.host = "voice.example.com";
  r.uri = "/ws/twilio";
  r.has_signature = true;
  r.signature = twilio_signature(auth_token, "wss://voice.example.com/ws/twilio");
  CHECK(check_upgrade(auth_mode::signature, secrets(), r).ok);
  // Signed with the port written out: accepted as Twilio's validators accept it.
  r.signature = twilio_signature(auth_token, "wss://voice.example.com:443/ws/twilio");
  CHECK(check_upgrade(auth_mode::signature, secrets(), r).ok);
  r.signature = twilio_signature("another-account", "wss://voice.example.com/ws/twilio");
  auto v = check_upgrade(auth_mode::signature, secrets(), r);
  CHECK_FALSE(v.ok);
  CHECK(v.status == 403);
  CHECK(v.error == "forbidden");
  CHECK(v.why == auth_refusal::signature_invalid);
  CHECK(v.challenge.empty());
  check_no_secret(v);
  r.signature = twilio_signature(auth_token, "wss://voice.example.com/ws/twilio/other");
  CHECK(check_upgrade(auth_mode::signature, secrets(), r).why ==
        auth_refusal::signature_invalid);
  r.signature = twilio_signature(auth_token, "https://voice.example.com/ws/twilio");
  CHECK_FALSE(check_upgrade(auth_mode::signature, secrets(), r).ok);  // wss, not https
  r.has_signature = false;
  r.signature.clear();
  v = check_upgrade(auth_mode::signature, secrets(), r);
  CHECK(v.status == 401);
  CHECK(v.error == "unauthenticated");
  CHECK(v.why == auth_refusal::signature_missing);
  CHECK_FALSE(v.challenge.empty());
}

TEST_CASE("token mode: Bearer header or token parameter, valid, wrong, missing") {
  upgrade_request r;
  r.authorization = "Bearer edge-token-91c2";
  CHECK(check_upgrade(auth_mode::token, secrets(), r).ok);
  r.authorization = "bearer   edge-token-91c2 ";  // scheme case and spaces: RFC 7235
  CHECK(check_upgrade(auth_mode::token, secrets(), r).ok);
  r.authorization = "Bearer edge-token-91c3";
  auto v = check_upgrade(auth_mode::token, secrets(), r);
  CHECK(v.status == 403);
  CHECK(v.why == auth_refusal::token_invalid);
  check_no_secret(v);
  r.authorization = "Basic ZWRnZS10b2tlbi05MWMy";  // not a bearer token: missing
  v = check_upgrade(auth_mode::token, secrets(), r);
  CHECK(v.status == 401);
  CHECK(v.why == auth_refusal::token_missing);
  CHECK(v.challenge.rfind("Bearer", 0) == 0);
  r.authorization.clear();
  r.has_token_param = true;
  r.token_param = "edge-token-91c2";
  CHECK(check_upgrade(auth_mode::token, secrets(), r).ok);
  r.token_param = "";
  CHECK(check_upgrade(auth_mode::token, secrets(), r).why == auth_refusal::token_invalid);
  r.has_token_param = false;
  CHECK(check_upgrade(auth_mode::token, secrets(), r).why == auth_refusal::token_missing);
  CHECK(check_upgrade(auth_mode::none, secrets(), r).ok);
}

TEST_CASE("basic mode: Exotel's KEY:TOKEN, valid, wrong, missing") {
  upgrade_request r;
  r.authorization = "Basic " + base64("exo-key:exo-token-55d1");
  CHECK(check_upgrade(auth_mode::basic, secrets(), r).ok);
  r.authorization = "Basic " + base64("exo-key:exo-token-55d2");
  auto v = check_upgrade(auth_mode::basic, secrets(), r);
  CHECK(v.status == 403);
  CHECK(v.why == auth_refusal::basic_invalid);
  check_no_secret(v);
  r.authorization.clear();
  v = check_upgrade(auth_mode::basic, secrets(), r);
  CHECK(v.status == 401);
  CHECK(v.why == auth_refusal::basic_missing);
  CHECK(v.challenge == R"(Basic realm="switchboard")");
  CHECK(base64("exo-key:exo-token-55d1") == "ZXhvLWtleTpleG8tdG9rZW4tNTVkMQ==");
}

TEST_CASE("operator routes: no token configured is open, else Bearer only") {
  CHECK(check_http_bearer("", "").ok);
  CHECK(check_http_bearer("ops-1", "Bearer ops-1").ok);
  auto v = check_http_bearer("ops-1", "Bearer ops-2");
  CHECK(v.status == 403);
  CHECK(v.why == auth_refusal::http_token_invalid);
  v = check_http_bearer("ops-1", "");
  CHECK(v.status == 401);
  CHECK(v.why == auth_refusal::http_token_missing);
  CHECK(std::string(to_string(auth_refusal::http_token_missing)) == "http_token_missing");
  auth_mode m;
  CHECK(parse_auth_mode("signature", m));
  CHECK(m == auth_mode::signature);
  CHECK_FALSE(parse_auth_mode("Signature", m));
}

TEST_CASE("equal_secret compares whole values") {
  CHECK(equal_secret("abc", "abc"));
  CHECK_FALSE(equal_secret("abc", "abd"));
  CHECK_FALSE(equal_secret("abc", "abcd"));
  CHECK(equal_secret("", ""));
}
