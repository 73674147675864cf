// One blocking HTTP request with libcurl, optionally signed with AWS Signature Version 4
// (libcurl's CURLOPT_AWS_SIGV4). Used by the IMDSv2 client and the Query API calls; never
// on an actor or the I/O thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace sb::aws {

struct http_response {
  long status = 0;     // 0 when no response came
  std::string body;
  std::string error;   // transport failure (connect, timeout), "" when a response came
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
};

// Credentials of an instance role (or any key pair; token "" for a long-term key).
struct credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string token;
};

struct sigv4_signing {
  std::string region;
  std::string service;  // "autoscaling", "ec2"
  credentials creds;
};

// `headers`: "Name: value" lines. `sign`: nullptr for an unsigned request.
http_response http_call(const std::string& method, const std::string& url,
                        const std::vector<std::string>& headers, const std::string& body,
                        std::chrono::milliseconds timeout,
                        const sigv4_signing* sign = nullptr);

} // namespace sb::aws
