// The tests' IMDSv2, Auto Scaling and EC2 (tests/support/aws_fake.py, run with python3):
// start it, flip the instance's lifecycle state or post a Spot notice, read the API
// calls it received.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"

namespace sb::test {

struct aws_fake {
  std::string dir;
  child proc;
  uint16_t port = 0;
  // `flags`: the script's options (--asg NAME, --peers IP,IP, --local-ipv4 IP, ...).
  explicit aws_fake(const std::vector<std::string>& flags = {});
  std::string url(const std::string& path = "") const;
  // POST /_fake/set: {"lifecycle_state": "Terminated"}, {"spot": {...}}, ...
  void set(const nlohmann::json& change);
  nlohmann::json calls() const;  // every Auto Scaling and EC2 call, in order
  // The calls of one action ("CompleteLifecycleAction").
  std::vector<nlohmann::json> calls_of(const std::string& action) const;
  nlohmann::json imds_log() const;  // every IMDS request: method, path, status
  // The node's --set overrides for [aws] lifecycle = imds against this fake.
  std::vector<std::string> node_sets(const std::string& hook = "drain-hook") const;
};

// "2026-12-02T17:00:00Z", `seconds` from now.
std::string utc_in(int seconds);

} // namespace sb::test
