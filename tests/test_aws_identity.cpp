// What the node reads about its own instance (tests/support/aws_fake.py): peers from
// DescribeInstances forming a cluster ([aws] discovery = ec2), the group's name as the EMF
// dimension ({asg}), and [aws] asg_name / region taking the place of what IMDS says.
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <sstream>

#include "tests/support/aws_fake.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool both_up(uint16_t http_port) {
  auto s = sb::test::member_states(http_port);
  return s.size() == 2 && s["alpha"] == "up" && s["bravo"] == "up";
}

} // namespace

TEST_CASE("discovery = ec2: two nodes find each other through DescribeInstances and form a "
          "cluster") {
  // Two instances: 127.0.0.1 and 127.0.0.2, both on the same cluster port.
  const auto port = sb::test::free_loopback_port();
  const std::string peers = "127.0.0.1,127.0.0.2";
  sb::test::aws_fake a({"--local-ipv4", "127.0.0.1", "--peers", peers, "--instance-id", "i-a"});
  sb::test::aws_fake b({"--local-ipv4", "127.0.0.2", "--peers", peers, "--instance-id", "i-b"});
  auto dir = sb::test::temp_dir("sb-discovery");
  std::vector<std::string> common{"cluster.secret=test-secret",
                                  "cluster.heartbeat_interval=100ms",
                                  "cluster.failure_timeout=1s", "aws.discovery=ec2"};
  auto sets_for = [&](const sb::test::aws_fake& f) {
    auto s = common;
    s.push_back("aws.imds_url=" + f.url());
    s.push_back("aws.ec2_url=" + f.url("/ec2"));
    return s;
  };
  auto alpha = sb::test::start_cluster_node(dir, "alpha", "", port, sets_for(a));
  auto bsets = sets_for(b);
  bsets.push_back("node.cluster_listen=127.0.0.2:" + std::to_string(port));
  auto bravo = sb::test::start_cluster_node(dir, "bravo", "", port, bsets);
  INFO(alpha.log() << "\n" << bravo.log());
  CHECK(sb::test::wait_until([&] { return both_up(alpha.http_port); }, 30s));
  CHECK(sb::test::wait_until([&] { return both_up(bravo.http_port); }, 30s));
  auto p = std::to_string(port);
  CHECK(alpha.log().find("aws: discovery: 1 peers with tag "
                         "aws:autoscaling:groupName=switchboard-nodes: 127.0.0.2:" + p) !=
        std::string::npos);
  CHECK(bravo.log().find("switchboard-nodes: 127.0.0.1:" + p) != std::string::npos);
  for (auto* f : {&a, &b}) {
    auto calls = f->calls_of("DescribeInstances");
    REQUIRE(calls.size() == 1);
    auto& q = calls[0]["params"];
    CHECK_FALSE(calls[0].contains("fault"));
    CHECK(q["Version"] == "2016-11-15");
    CHECK(q["Filter.1.Name"] == "tag:aws:autoscaling:groupName");
    CHECK(q["Filter.1.Value.1"] == "switchboard-nodes");
    CHECK(q["Filter.2.Name"] == "instance-state-name");
    CHECK(q["Filter.2.Value.2"] == "running");
  }
  CHECK(alpha.proc.stop(SIGTERM) == 0);
  CHECK(bravo.proc.stop(SIGTERM) == 0);
}

TEST_CASE("discovery that fails is logged and the node starts with its seeds") {
  auto closed = sb::test::free_loopback_port();
  auto dir = sb::test::temp_dir("sb-discovery");
  auto n = sb::test::start_cluster_node(
    dir, "alpha", "", sb::test::free_loopback_port(),
    {"aws.discovery=ec2", "aws.request_timeout=300ms",
     "aws.imds_url=http://127.0.0.1:" + std::to_string(closed)});
  auto log = n.log();
  CHECK(log.find("discovery (DescribeInstances): IMDS meta-data/instance-id: IMDS token") != std::string::npos);
  CHECK(log.find("(attempt 5 of 5)") != std::string::npos);
  CHECK(log.find("aws: discovery failed, starting with [cluster] seeds only (0 given)") !=
        std::string::npos);
  CHECK(n.proc.stop(SIGTERM) == 0);
}

TEST_CASE("{asg} in [metrics] emf_dimensions is the instance's group, from its tag") {
  sb::test::aws_fake fake({"--asg", "voice-asg"});
  sb::test::stack st({}, {"aws.imds_url=" + fake.url(), "metrics.emf_interval=100ms",
                          "metrics.emf_dimensions=AutoScalingGroupName={asg}",
                          "metrics.emf_file={dir}/emf.log"});
  auto line = read_file(st.dir + "/emf.log");
  auto first = nlohmann::json::parse(line.substr(0, line.find('\n')), nullptr, false);
  INFO(line);
  CHECK(first["AutoScalingGroupName"] == "voice-asg");
  CHECK(first["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0] == "AutoScalingGroupName");
}

TEST_CASE("{asg} without a group to read stops the start with a clear error") {
  sb::test::aws_fake fake({"--asg", ""});  // no aws:autoscaling:groupName tag
  auto dir = sb::test::temp_dir("sb-emf");
  sb::test::child node({SB_NODE_BIN, "node", "--set", "node.listen=127.0.0.1:0", "--set",
                        "node.cluster_listen=127.0.0.1:0", "--set", "aws.imds_url=" + fake.url(),
                        "--set", "metrics.emf_interval=1s", "--set",
                        "metrics.emf_dimensions=AutoScalingGroupName={asg}"},
                       dir + "/node.log");
  CHECK(node.wait_exit(60s) == 1);
  auto log = read_file(dir + "/node.log");
  INFO(log);
  CHECK(log.find("[metrics] emf_dimensions: {asg}: cannot read the instance's Auto Scaling "
                 "group: IMDS meta-data/tags/instance/aws:autoscaling:groupName: HTTP 404 (not "
                 "in an Auto Scaling group, or instance metadata tags are off: set [aws] "
                 "asg_name)") != std::string::npos);
}

TEST_CASE("[aws] asg_name and region take the place of the tag and IMDS's region") {
  // IMDS says us-east-1; the API expects signatures for eu-west-3, as configured.
  sb::test::aws_fake fake({"--asg", "", "--region", "eu-west-3", "--imds-region", "us-east-1"});
  auto sets = fake.node_sets("drain-hook");
  sets.push_back("aws.asg_name=configured-asg");
  sets.push_back("aws.region=eu-west-3");
  sb::test::stack st({}, sets);
  CHECK(sb::test::wait_until([&] {
    return st.node_log().find("Auto Scaling group configured-asg") != std::string::npos;
  }));
  fake.set({{"lifecycle_state", "Terminated"}});
  CHECK(st.node.wait_exit(60s) == 0);
  auto done = fake.calls_of("CompleteLifecycleAction");
  REQUIRE(done.size() == 1);
  CHECK_FALSE(done[0].contains("fault"));  // signed for eu-west-3
  CHECK(done[0]["params"]["AutoScalingGroupName"] == "configured-asg");
}
