// The softphone page through a real node ([http] phone, docs/softphone.md): served on a
// loopback listener by default, 404 when off, behind [http] token_env's token (?token= or
// a Bearer header), beside /ws/twilio even when the operator routes have their own
// address, and its token opening /ws/twilio as ?phone_token= only while the page is served.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"
#include "tests/support/raw_ws.hpp"

using json = nlohmann::json;
using sb::test::http_request;

namespace {

const std::string ops_token = "ops-71d2-phone-token";
const std::string stream_token = "stream-0e4a-other-token";
const std::vector<std::string> fast_sim{"--tts-ms-per-char", "5"};
const std::vector<std::string> env{"OPS_TOKEN=" + ops_token,
                                   "SWITCHBOARD_STREAM_TOKEN=" + stream_token};

int upgrade_status(uint16_t port, const std::string& path) {
  sb::test::raw_ws c("127.0.0.1", port);
  REQUIRE(c.ok());
  return c.upgrade(path).status;
}

void check_page(const sb::test::http_reply& r) {
  CHECK(r.status == 200);
  CHECK(r.headers.at("content-type").rfind("text/html", 0) == 0);
  CHECK(r.headers.count("content-security-policy") == 1);
  CHECK(r.headers.at("cache-control") == "no-store");
  CHECK(r.headers.at("referrer-policy") == "no-referrer");
  // The whole page, its script included: nothing else to fetch.
  CHECK(r.body.find("<title>switchboard phone</title>") != std::string::npos);
  CHECK(r.body.find("/ws/twilio") != std::string::npos);
  CHECK(r.body.find("registerProcessor") != std::string::npos);
  CHECK(r.body.find("</html>") != std::string::npos);
  CHECK(r.body.find("src=\"http") == std::string::npos);
}

} // namespace

TEST_CASE("[http] phone = auto on a loopback listener serves the page, open without a token") {
  sb::test::stack st(fast_sim, {});
  check_page(http_request(st.node_port, "GET", "/phone"));
  check_page(http_request(st.node_port, "GET", "/phone?call=1"));
  CHECK(http_request(st.node_port, "GET", "/phone/other").status == 404);
  CHECK(st.node_log().find("softphone on http://127.0.0.1:") != std::string::npos);
}

TEST_CASE("[http] phone = off: 404, and the log does not announce it") {
  sb::test::stack st(fast_sim, {"http.phone=off"});
  auto r = http_request(st.node_port, "GET", "/phone");
  CHECK(r.status == 404);
  CHECK(json::parse(r.body, nullptr, false).value("error", "") == "not_found");
  CHECK(st.node_log().find("softphone") == std::string::npos);
}

TEST_CASE("[http] phone with token_env: 401 without the token, 403 with another, 200 with it") {
  sb::test::stack st(fast_sim, {"http.phone=on", "http.token_env=OPS_TOKEN",
                                "auth.twilio=token"},
                     env);
  auto none = http_request(st.node_port, "GET", "/phone");
  CHECK(none.status == 401);
  CHECK(none.headers.count("www-authenticate") == 1);
  CHECK(json::parse(none.body, nullptr, false).value("error", "") == "unauthenticated");
  auto wrong = http_request(st.node_port, "GET", "/phone?token=not-it");
  CHECK(wrong.status == 403);
  CHECK(json::parse(wrong.body, nullptr, false).value("error", "") == "forbidden");
  check_page(http_request(st.node_port, "GET", "/phone?token=" + ops_token));
  check_page(http_request(st.node_port, "GET", "/phone", "",
                          {"Authorization: Bearer " + ops_token}));
  // Its calls: the page's token opens /ws/twilio as ?phone_token=; the stream token as
  // before; the operator's token never as ?token=.
  CHECK(upgrade_status(st.node_port, "/ws/twilio?phone_token=" + ops_token) == 101);
  CHECK(upgrade_status(st.node_port, "/ws/twilio?phone_token=not-it") == 401);
  CHECK(upgrade_status(st.node_port, "/ws/twilio?token=" + ops_token) == 403);
  CHECK(upgrade_status(st.node_port, "/ws/twilio?token=" + stream_token) == 101);
  auto stats = json::parse(
    http_request(st.node_port, "GET", "/api/v1/stats", "", {"Authorization: Bearer " + ops_token})
      .body,
    nullptr, false);
  CHECK(stats["auth"]["refused"]["http_token_missing"] == 1);
  CHECK(stats["auth"]["refused"]["http_token_invalid"] == 1);
  // No secret in the log.
  auto log = st.node_log();
  CHECK(log.find(ops_token) == std::string::npos);
  CHECK(log.find(stream_token) == std::string::npos);
}

TEST_CASE("[http] phone = off: the operator's token opens no call") {
  sb::test::stack st(fast_sim, {"http.phone=off", "http.token_env=OPS_TOKEN",
                                "auth.twilio=token"},
                     env);
  CHECK(upgrade_status(st.node_port, "/ws/twilio?phone_token=" + ops_token) == 401);
  CHECK(upgrade_status(st.node_port, "/ws/twilio?token=" + stream_token) == 101);
}

TEST_CASE("[http] listen apart: the page stays beside /ws/twilio, not on the operator address") {
  sb::test::stack st(fast_sim, {"http.listen=127.0.0.1:0"});
  auto ops = st.http_port();
  REQUIRE(ops != 0);
  check_page(http_request(st.node_port, "GET", "/phone"));
  CHECK(http_request(ops, "GET", "/phone").status == 404);
}
