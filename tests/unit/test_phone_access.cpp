// Who gets the softphone page: [http] phone resolved against [node] listen, and the page's
// token (a header or ?token=, since a browser's address bar sets no headers).
#include <catch2/catch.hpp>

#include "net/admission/credentials.hpp"
#include "net/admission/phone_access.hpp"

using namespace sb::admission;

TEST_CASE("loopback hosts: 127.0.0.0/8, ::1, mapped, localhost; nothing else") {
  for (auto h : {"127.0.0.1", "127.3.2.1", "::1", "[::1]", "::ffff:127.0.0.1", "localhost"})
    CHECK(is_loopback_host(h));
  for (auto h : {"0.0.0.0", "::", "10.0.0.5", "128.0.0.1", "192.168.1.2", "fe80::1",
                 "example.com", "", "127.0.0.1.example.com"})
    CHECK_FALSE(is_loopback_host(h));
}

TEST_CASE("[http] phone: auto serves on loopback only, on everywhere, off nowhere") {
  CHECK(phone_served("auto", "127.0.0.1"));
  CHECK_FALSE(phone_served("auto", "0.0.0.0"));
  CHECK_FALSE(phone_served("auto", "10.0.0.5"));
  CHECK(phone_served("on", "0.0.0.0"));
  CHECK(phone_served("on", "127.0.0.1"));
  CHECK_FALSE(phone_served("off", "127.0.0.1"));
}

TEST_CASE("the page's token: open without one, else Bearer or ?token=") {
  CHECK(check_http_token("", "", false, "").ok);
  CHECK(check_http_token("", "", true, "anything").ok);
  CHECK(check_http_token("ops-1", "", true, "ops-1").ok);
  CHECK(check_http_token("ops-1", "Bearer ops-1", false, "").ok);
  auto v = check_http_token("ops-1", "", false, "");
  CHECK(v.status == 401);
  CHECK(v.why == auth_refusal::http_token_missing);
  CHECK_FALSE(v.challenge.empty());
  CHECK(v.reason.find("?token=") != std::string::npos);
  v = check_http_token("ops-1", "", true, "ops-2");
  CHECK(v.status == 403);
  CHECK(v.why == auth_refusal::http_token_invalid);
  CHECK(v.reason.find("ops") == std::string::npos);
  // A header, when there is one, is what counts.
  CHECK(check_http_token("ops-1", "Bearer ops-2", true, "ops-1").status == 403);
}
