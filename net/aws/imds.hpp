// The instance metadata service, version 2: a session token from PUT /latest/api/token
// (X-aws-ec2-metadata-token-ttl-seconds), then every GET with X-aws-ec2-metadata-token.
// The token is renewed before it expires and once more when IMDS answers 401. Not thread
// safe: one client per thread.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "net/aws/http.hpp"

namespace sb::aws {

class imds_client {
public:
  // `base_url`: http://169.254.169.254, or a test's fake.
  imds_client(std::string base_url, std::chrono::milliseconds timeout);

  // GET /latest/PATH ("meta-data/instance-id"). A 404 is a response (status 404), not an
  // error.
  http_response get(const std::string& path);
  // The body of GET PATH, or "" with `err` ("IMDS meta-data/x: 401 ...").
  std::string read(const std::string& path, std::string& err);

  // The instance role's credentials (meta-data/iam/security-credentials/ROLE), kept until
  // 5 minutes before their Expiration.
  bool role_credentials(credentials& out, std::string& err);

private:
  bool fetch_token(std::string& err);

  std::string base_;
  std::chrono::milliseconds timeout_;
  std::string token_;
  std::chrono::steady_clock::time_point token_renew_at_{};
  std::string role_;
  credentials creds_;
  std::chrono::system_clock::time_point creds_renew_at_{};
};

// "2026-12-02T17:10:00Z" (RFC 3339, UTC, as IMDS and the Spot notice give times);
// false when it is not one.
bool parse_utc_time(const std::string& s, std::chrono::system_clock::time_point& out);

// What went wrong with a response, for a log line: the transport error, or the status
// and the start of the body.
std::string describe(const http_response& r);

} // namespace sb::aws
