#include "tests/support/aws_fake.hpp"

#include <chrono>
#include <ctime>
#include <stdexcept>

namespace sb::test {

aws_fake::aws_fake(const std::vector<std::string>& flags) : dir(temp_dir("sb-aws")) {
  std::vector<std::string> argv{"/usr/bin/env", "python3",
                                std::string(SB_SOURCE_DIR) + "/tests/support/aws_fake.py",
                                "--port-file", dir + "/fake.port"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  proc = child(argv, dir + "/fake.log");
  auto p = wait_port_file(dir + "/fake.port", std::chrono::seconds{20});
  if (!p)
    throw std::runtime_error("the AWS fake did not start; see " + dir + "/fake.log");
  port = *p;
}

std::string aws_fake::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

void aws_fake::set(const nlohmann::json& change) {
  auto r = http_request(port, "POST", "/_fake/set", change.dump(),
                        {"Content-Type: application/json"});
  if (r.status != 200)
    throw std::runtime_error("aws fake: set " + change.dump() + ": " + r.body);
}

nlohmann::json aws_fake::calls() const {
  return get_json(port, "/_fake/calls");
}

std::vector<nlohmann::json> aws_fake::calls_of(const std::string& action) const {
  std::vector<nlohmann::json> out;
  for (auto& c : calls())
    if (c["action"] == action)
      out.push_back(c);
  return out;
}

nlohmann::json aws_fake::imds_log() const {
  return get_json(port, "/_fake/imds");
}

std::vector<std::string> aws_fake::node_sets(const std::string& hook) const {
  return {"aws.lifecycle=imds", "aws.imds_url=" + url(),
          "aws.autoscaling_url=" + url("/autoscaling"), "aws.ec2_url=" + url("/ec2"),
          "aws.lifecycle_hook=" + hook, "aws.poll_interval=100ms"};
}

std::string utc_in(int seconds) {
  std::time_t t = std::time(nullptr) + seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace sb::test
