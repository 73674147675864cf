// Authentication through a real node: each telephony mode ([auth] twilio = signature,
// exotel = basic, token) with valid, wrong and missing credentials; the operator routes
// on their own address with a bearer token ([http]); refusals counted by reason; and no
// secret in the node's log, its stats, its metrics or any answer.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "net/admission/credentials.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;
using sb::test::raw_ws;

namespace {

const std::string twilio_token = "tw-4c1d-auth-token-e88f";
const std::string stream_token = "stream-9b7e-shared-token";
const std::string exotel_creds = "exo-key-31:exo-token-a6b0";
const std::string ops_token = "ops-2f5c-bearer-token";
const std::vector<std::string> secrets{twilio_token, stream_token, "exo-token-a6b0",
                                       ops_token};

const std::vector<std::string> fast_sim{"--tts-ms-per-char", "5"};

std::vector<std::string> secret_env() {
  return {"TWILIO_AUTH_TOKEN=" + twilio_token, "SWITCHBOARD_STREAM_TOKEN=" + stream_token,
          "EXOTEL_STREAM_CREDENTIALS=" + exotel_creds, "OPS_TOKEN=" + ops_token};
}

struct answer {
  int status = 0;
  json body;
  std::map<std::string, std::string> headers;
  std::string raw;
};

answer upgrade(uint16_t port, const std::string& path, std::vector<std::string> headers = {}) {
  raw_ws c("127.0.0.1", port);
  REQUIRE(c.ok());
  auto r = c.upgrade(path, headers);
  return {r.status, json::parse(r.body, nullptr, false), r.headers, r.body};
}

void check_refused(const answer& a, int status, const std::string& error) {
  INFO("status " << a.status << " body " << a.raw);
  CHECK(a.status == status);
  REQUIRE(a.body.is_object());
  CHECK(a.body.value("error", "") == error);
  CHECK_FALSE(a.body.value("reason", "").empty());
  CHECK(a.headers.count("www-authenticate") == (status == 401 ? 1u : 0u));
  for (auto& s : secrets)
    CHECK(a.raw.find(s) == std::string::npos);
}

json auth_refused(uint16_t port, const std::vector<std::string>& headers = {}) {
  auto r = sb::test::http_request(port, "GET", "/api/v1/stats", "", headers);
  return json::parse(r.body, nullptr, false)["auth"]["refused"];
}

} // namespace

TEST_CASE("[auth] twilio = signature: Twilio's signature of the URL it dialled") {
  auto env = secret_env();
  env.push_back("TW_EDGE_AUTH=" + twilio_token);  // the variable the config names
  env.push_back("TWILIO_AUTH_TOKEN=not-the-one");
  sb::test::stack st(fast_sim,
                     {"auth.twilio=signature", "auth.public_url=wss://voice.example.com",
                      "auth.twilio_auth_token_env=TW_EDGE_AUTH"},
                     env);
  auto sign = [](const std::string& url) {
    return "X-Twilio-Signature: " + sb::admission::twilio_signature(twilio_token, url);
  };
  auto ok = upgrade(st.node_port, "/ws/twilio/sales",
                    {sign("wss://voice.example.com/ws/twilio/sales")});
  CHECK(ok.status == 101);
  check_refused(upgrade(st.node_port, "/ws/twilio/sales",
                        {sign("wss://voice.example.com/ws/twilio/support")}),
                403, "forbidden");
  check_refused(upgrade(st.node_port, "/ws/twilio",
                        {"X-Twilio-Signature: " + sb::admission::twilio_signature(
                                                    "another-account",
                                                    "wss://voice.example.com/ws/twilio")}),
                403, "forbidden");
  check_refused(upgrade(st.node_port, "/ws/twilio"), 401, "unauthenticated");
  // A signed caller gets a call: the signature is checked, not just present.
  raw_ws caller("127.0.0.1", st.node_port);
  REQUIRE(caller.upgrade("/ws/twilio", {sign("wss://voice.example.com/ws/twilio")}).status ==
          101);
  REQUIRE(caller.send_twilio_start("CA1"));
  CHECK(sb::test::wait_until(
    [&] { return sb::test::get_json(st.node_port, "/api/v1/stats").value("sessions", -1) == 1; }));
  // Exotel is not configured for authentication: open.
  CHECK(upgrade(st.node_port, "/ws/exotel").status == 101);
  auto refused = auth_refused(st.node_port);
  CHECK(refused["signature_invalid"] == 2);
  CHECK(refused["signature_missing"] == 1);
  CHECK(refused["token_missing"] == 0);
  auto metrics = sb::test::http_request(st.node_port, "GET", "/metrics").body;
  CHECK(metrics.find(R"(switchboard_auth_refusals_total{reason="signature_invalid"} 2)") !=
        std::string::npos);
  CHECK(metrics.find(R"(switchboard_auth_refusals_total{reason="signature_missing"} 1)") !=
        std::string::npos);
}

TEST_CASE("[auth] twilio = signature without public_url signs wss://<Host>") {
  sb::test::stack st(fast_sim, {"auth.twilio=signature"}, secret_env());
  auto sig = sb::admission::twilio_signature(twilio_token, "wss://127.0.0.1/ws/twilio");
  CHECK(upgrade(st.node_port, "/ws/twilio", {"X-Twilio-Signature: " + sig}).status == 101);
  auto http_sig = sb::admission::twilio_signature(twilio_token, "https://127.0.0.1/ws/twilio");
  check_refused(upgrade(st.node_port, "/ws/twilio", {"X-Twilio-Signature: " + http_sig}), 403,
                "forbidden");
}

TEST_CASE("[auth] exotel = basic and token: valid, wrong, missing") {
  auto env = secret_env();
  env.push_back("EDGE_STREAM_TOKEN=" + stream_token);  // the variables the config names
  env.push_back("EDGE_EXOTEL=" + exotel_creds);
  env.push_back("SWITCHBOARD_STREAM_TOKEN=not-the-one");
  env.push_back("EXOTEL_STREAM_CREDENTIALS=not:the-one");
  sb::test::stack st(fast_sim,
                     {"auth.exotel=basic", "auth.twilio=token", "auth.token_env=EDGE_STREAM_TOKEN",
                      "auth.exotel_credentials_env=EDGE_EXOTEL"},
                     env);
  auto basic = [](const std::string& creds) {
    return "Authorization: Basic " + sb::admission::base64(creds);
  };
  CHECK(upgrade(st.node_port, "/ws/exotel", {basic(exotel_creds)}).status == 101);
  check_refused(upgrade(st.node_port, "/ws/exotel", {basic("exo-key-31:exo-token-a6b1")}), 403,
                "forbidden");
  check_refused(upgrade(st.node_port, "/ws/exotel"), 401, "unauthenticated");
  CHECK(upgrade(st.node_port, "/ws/twilio", {"Authorization: Bearer " + stream_token}).status ==
        101);
  CHECK(upgrade(st.node_port, "/ws/twilio?token=" + stream_token).status == 101);
  check_refused(upgrade(st.node_port, "/ws/twilio", {"Authorization: Bearer not-it"}), 403,
                "forbidden");
  check_refused(upgrade(st.node_port, "/ws/twilio?token=not-it"), 403, "forbidden");
  check_refused(upgrade(st.node_port, "/ws/twilio"), 401, "unauthenticated");
  auto refused = auth_refused(st.node_port);
  CHECK(refused["basic_invalid"] == 1);
  CHECK(refused["basic_missing"] == 1);
  CHECK(refused["token_invalid"] == 2);
  CHECK(refused["token_missing"] == 1);
}

TEST_CASE("[http] listen and token_env: operator routes apart, behind a bearer token") {
  sb::test::stack st(fast_sim,
                     {"http.listen=127.0.0.1:0", "http.token_env=OPS_TOKEN",
                      "auth.twilio=token", "log.level=debug"},
                     secret_env());
  auto ops = st.http_port();
  REQUIRE(ops != 0);
  REQUIRE(ops != st.node_port);
  const std::vector<std::string> bearer{"Authorization: Bearer " + ops_token};
  // The telephony port keeps /health open for load balancers, and nothing else.
  auto health = sb::test::http_request(st.node_port, "GET", "/health");
  CHECK(health.status == 200);
  for (auto path : {"/api/v1/stats", "/api/v1/stats/pool", "/metrics", "/api/v1/calls"})
    CHECK(sb::test::http_request(st.node_port, "GET", path, "", bearer).status == 404);
  // Any /api/ route needs the token, known or not, the call records among them.
  CHECK(sb::test::http_request(ops, "GET", "/api/v1/calls").status == 401);
  auto calls = sb::test::http_request(ops, "GET", "/api/v1/calls", "", bearer);
  CHECK(calls.status == 200);
  CHECK(json::parse(calls.body, nullptr, false).value("count", -1) == 0);
  CHECK(sb::test::http_request(ops, "GET", "/api/v1/nothing", "", bearer).status == 404);
  // The operator address: 401 without the token, 403 with a wrong one, 200 with it.
  for (auto path : {"/api/v1/stats", "/api/v1/stats/pool", "/metrics"}) {
    auto none = sb::test::http_request(ops, "GET", path);
    CHECK(none.status == 401);
    CHECK(none.headers.count("www-authenticate") == 1);
    CHECK(json::parse(none.body, nullptr, false).value("error", "") == "unauthenticated");
    auto wrong =
      sb::test::http_request(ops, "GET", path, "", {"Authorization: Bearer ops-wrong"});
    CHECK(wrong.status == 403);
    CHECK(json::parse(wrong.body, nullptr, false).value("error", "") == "forbidden");
    CHECK(sb::test::http_request(ops, "GET", path, "", bearer).status == 200);
  }
  CHECK(sb::test::http_request(ops, "GET", "/health").status == 200);
  // No calls on the operator address.
  check_refused(upgrade(ops, "/ws/twilio", {"Authorization: Bearer " + stream_token}), 404,
                "not_found");
  // Every kind of refusal once more, then look for the secrets everywhere.
  check_refused(upgrade(st.node_port, "/ws/twilio?token=" + ops_token), 403, "forbidden");
  check_refused(upgrade(st.node_port, "/ws/twilio"), 401, "unauthenticated");
  REQUIRE(upgrade(st.node_port, "/ws/twilio?token=" + stream_token).status == 101);
  auto refused = auth_refused(ops, bearer);
  CHECK(refused["http_token_missing"] == 4);
  CHECK(refused["http_token_invalid"] == 3);
  CHECK(refused["token_invalid"] == 1);
  CHECK(refused["token_missing"] == 1);
  std::string seen = st.node_log();
  for (auto path : {"/api/v1/stats", "/api/v1/stats/pool", "/metrics", "/health"})
    seen += sb::test::http_request(ops, "GET", path, "", bearer).body;
  CHECK(seen.find("switchboard_auth_refusals_total") != std::string::npos);
  CHECK(seen.find("refused upgrade") != std::string::npos);  // the log has the refusals
  for (auto& s : secrets) {
    INFO("secret " << s);
    CHECK(seen.find(s) == std::string::npos);
  }
}

TEST_CASE("a mode whose secret is not in the environment stops the node at start") {
  auto dir = sb::test::temp_dir("sb-auth");
  sb::test::child node({SB_NODE_BIN, "node", "--set", "node.listen=127.0.0.1:0", "--set",
                        "node.cluster_listen=127.0.0.1:0", "--set", "auth.exotel=basic"},
                       dir + "/node.log", {"EXOTEL_STREAM_CREDENTIALS="});
  CHECK(node.wait_exit(20s) == 1);
  std::ifstream f(dir + "/node.log");
  std::string log((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK(log.find("[auth] exotel = basic ([auth] exotel_credentials_env) needs a secret in "
                 "$EXOTEL_STREAM_CREDENTIALS, which is not set") != std::string::npos);
  sb::test::child malformed({SB_NODE_BIN, "node", "--set", "node.listen=127.0.0.1:0", "--set",
                             "node.cluster_listen=127.0.0.1:0", "--set", "auth.exotel=basic"},
                            dir + "/node2.log", {"EXOTEL_STREAM_CREDENTIALS=no-colon-s3cr3t"});
  CHECK(malformed.wait_exit(20s) == 1);
  std::ifstream f2(dir + "/node2.log");
  std::string log2((std::istreambuf_iterator<char>(f2)), std::istreambuf_iterator<char>());
  CHECK(log2.find("must hold KEY:TOKEN") != std::string::npos);
  CHECK(log2.find("s3cr3t") == std::string::npos);
}

TEST_CASE("[http] listen on an address in use stops the node with a clear error") {
  sb::test::stack st(fast_sim, {});
  auto dir = sb::test::temp_dir("sb-auth");
  auto taken = "127.0.0.1:" + std::to_string(st.node_port);
  sb::test::child node({SB_NODE_BIN, "node", "--set", "node.listen=127.0.0.1:0", "--set",
                        "node.cluster_listen=127.0.0.1:0", "--set", "http.listen=" + taken},
                       dir + "/node.log");
  CHECK(node.wait_exit(20s) == 1);
  std::ifstream f(dir + "/node.log");
  std::string log((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK(log.find("cannot listen on " + taken + " ([http] listen)") != std::string::npos);
}
