// net/aws without a network: the Query API's form encoding, the XML replies it reads
// (DescribeInstances, error responses) and the times IMDS gives.
#include <catch2/catch.hpp>

#include "net/aws/imds.hpp"
#include "net/aws/query_api.hpp"

using sb::aws::parse_describe_instances;

TEST_CASE("form_encode keeps unreserved characters and percent-encodes the rest") {
  CHECK(sb::aws::form_encode({{"Action", "DescribeInstances"}, {"Filter.1.Name", "tag:a b"}}) ==
        "Action=DescribeInstances&Filter.1.Name=tag%3Aa%20b");
  CHECK(sb::aws::form_encode({{"k", "~-_.é/"}}) == "k=~-_.%C3%A9%2F");
  CHECK(sb::aws::form_encode({}).empty());
}

TEST_CASE("DescribeInstances: each instance's own private address, not its interfaces'") {
  const std::string xml =
    R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <reservationSet>
    <item><reservationId>r-1</reservationId><instancesSet>
      <item><instanceId>i-1</instanceId><privateIpAddress>10.0.1.5</privateIpAddress>
        <networkInterfaceSet><item><privateIpAddress>10.0.1.99</privateIpAddress></item></networkInterfaceSet>
      </item>
      <item><instanceId>i-2</instanceId><privateIpAddress>10.0.2.7</privateIpAddress></item>
    </instancesSet></item>
    <item><reservationId>r-2</reservationId><instancesSet>
      <item><instanceId>i-3</instanceId></item>
    </instancesSet></item>
  </reservationSet>
  <nextToken>page-2</nextToken>
</DescribeInstancesResponse>)";
  std::vector<std::string> ips;
  std::string next, err;
  REQUIRE(parse_describe_instances(xml, ips, next, err));
  CHECK(ips == std::vector<std::string>{"10.0.1.5", "10.0.2.7"});
  CHECK(next == "page-2");
}

TEST_CASE("DescribeInstances: an empty set, and what is not such a reply") {
  std::vector<std::string> ips;
  std::string next, err;
  REQUIRE(parse_describe_instances(
    "<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>", ips, next, err));
  CHECK(ips.empty());
  CHECK(next.empty());
  for (auto* bad : {"", "not xml", "<Response><Errors/></Response>", "<a><b></a>"}) {
    INFO(bad);
    CHECK_FALSE(parse_describe_instances(bad, ips, next, err));
    CHECK(err == "not a DescribeInstancesResponse");
  }
}

TEST_CASE("a query result describes itself for the log") {
  sb::aws::query_result r;
  r.status = 400;
  r.error_code = "ValidationError";
  r.error_message = "No active Lifecycle Action found";
  CHECK(r.describe() == "HTTP 400 ValidationError: No active Lifecycle Action found");
  CHECK_FALSE(r.retryable());
  r.status = 503;
  CHECK(r.retryable());
  sb::aws::query_result t;
  t.transport_error = "Failed to connect";
  CHECK(t.describe() == "Failed to connect");
  CHECK(t.retryable());
}

TEST_CASE("IMDS times are RFC 3339 UTC") {
  std::chrono::system_clock::time_point t;
  REQUIRE(sb::aws::parse_utc_time("2026-12-02T17:00:05Z", t));
  CHECK(std::chrono::system_clock::to_time_t(t) == 1796230805);
  REQUIRE(sb::aws::parse_utc_time("2026-12-02T17:00:05.123Z", t));
  CHECK(std::chrono::system_clock::to_time_t(t) == 1796230805);
  CHECK_FALSE(sb::aws::parse_utc_time("2026-12-02 17:00:05", t));
  CHECK_FALSE(sb::aws::parse_utc_time("2026-12-02T17:00:05+01:00", t));
  CHECK_FALSE(sb::aws::parse_utc_time("soon", t));
}
