// The AWS Query API (Auto Scaling, EC2): a form-encoded POST of Action, Version and the
// action's parameters, signed with SigV4, answered in XML. The replies are read with
// libxml2, only the elements needed.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "net/aws/http.hpp"

namespace sb::aws {

using query_params = std::vector<std::pair<std::string, std::string>>;

struct query_result {
  long status = 0;
  std::string body;
  std::string transport_error;  // no response
  std::string error_code;       // <Error><Code> of an error response
  std::string error_message;    // <Error><Message>
  bool ok() const { return transport_error.empty() && status >= 200 && status < 300; }
  // A failure worth another try: no response, throttling or a server error.
  bool retryable() const;
  // "HTTP 400 ValidationError: No active Lifecycle Action found ...", for a log line.
  std::string describe() const;
};

// application/x-www-form-urlencoded, RFC 3986 unreserved characters kept as they are.
std::string form_encode(const query_params& params);

// POST to `endpoint` (https://autoscaling.REGION.amazonaws.com, or a test's fake).
query_result query_call(const std::string& endpoint, const std::string& region,
                        const std::string& service, const query_params& params,
                        const credentials& creds, std::chrono::milliseconds timeout);

// The endpoint of `service` in `region`: https://SERVICE.REGION.amazonaws.com.
std::string default_endpoint(const std::string& service, const std::string& region);

// A DescribeInstances reply: the private IPv4 address of each instance listed
// (reservationSet/item/instancesSet/item/privateIpAddress), and its nextToken ("" when
// it is the last page). False with `err` when it is not such a reply.
bool parse_describe_instances(const std::string& xml, std::vector<std::string>& addresses,
                              std::string& next_token, std::string& err);

} // namespace sb::aws
