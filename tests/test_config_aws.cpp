// [aws] in cluster.ini: the defaults (off), every key's parsing and its errors by line,
// and the checks across keys. What each key does is shown by tests/test_aws_*.cpp.
#include <catch2/catch.hpp>

#include "tests/support/config_checks.hpp"

using namespace std::chrono_literals;
using namespace sb::test::config;

TEST_CASE("[aws] is off by default: nothing on a laptop talks to IMDS or AWS") {
  auto r = load_config("", {});
  REQUIRE(r.ok());
  CHECK(r.config.aws.lifecycle == "off");
  CHECK(r.config.aws.discovery == "off");
  CHECK(r.config.aws.imds_url == "http://169.254.169.254");
  CHECK(r.config.aws.autoscaling_url.empty());
  CHECK(r.config.aws.asg_name.empty());
  CHECK(r.config.aws.discovery_tag == "aws:autoscaling:groupName");
  CHECK(r.config.aws.poll_interval == 5000ms);
  CHECK(r.config.aws.heartbeat_interval == 60000ms);
  CHECK(r.config.aws.spot_margin == 30000ms);
  CHECK(r.config.aws.request_timeout == 5000ms);
}

TEST_CASE("[aws] keys parse") {
  temp_dir dir;
  auto r = load_config(dir.write("c.ini", "[aws]\nlifecycle = imds\ndiscovery = ec2\n"
                                          "imds_url = http://127.0.0.1:9999\n"
                                          "region = eu-west-1\n"
                                          "autoscaling_url = http://127.0.0.1:9999/as\n"
                                          "ec2_url = https://ec2.eu-west-1.amazonaws.com\n"
                                          "lifecycle_hook = drain\nasg_name = voice-asg\n"
                                          "discovery_tag = role=switchboard\n"
                                          "poll_interval = 1s\nheartbeat_interval = 2m\n"
                                          "spot_margin = 45s\nrequest_timeout = 800ms\n"),
                       {});
  REQUIRE(messages(r) == strings{});
  auto& a = r.config.aws;
  CHECK(a.lifecycle == "imds");
  CHECK(a.discovery == "ec2");
  CHECK(a.imds_url == "http://127.0.0.1:9999");
  CHECK(a.region == "eu-west-1");
  CHECK(a.autoscaling_url == "http://127.0.0.1:9999/as");
  CHECK(a.lifecycle_hook == "drain");
  CHECK(a.asg_name == "voice-asg");
  CHECK(a.discovery_tag == "role=switchboard");
  CHECK(a.poll_interval == 1000ms);
  CHECK(a.heartbeat_interval == 120000ms);
  CHECK(a.spot_margin == 45000ms);
  CHECK(a.request_timeout == 800ms);
}

TEST_CASE("[aws] bad values are reported with their line") {
  CHECK(errors_of("[aws]\nlifecycle = yes\n") ==
        strings{"c.ini:2: [aws] lifecycle: must be one of: off, imds ('yes')"});
  CHECK(errors_of("[aws]\ndiscovery = tags\n") ==
        strings{"c.ini:2: [aws] discovery: must be one of: off, ec2 ('tags')"});
  CHECK(errors_of("[aws]\nimds_url = 169.254.169.254\n") ==
        strings{"c.ini:2: [aws] imds_url: missing scheme, expected http or https://HOST[:PORT]"
                "[/PATH] ('169.254.169.254')"});
  CHECK(errors_of("[aws]\nimds_url =\n") ==
        strings{"c.ini:2: [aws] imds_url: must not be empty ('')"});
  CHECK(errors_of("\n[aws]\nautoscaling_url = ftp://x\n") ==
        strings{"c.ini:3: [aws] autoscaling_url: scheme must be http or https, not 'ftp', or "
                "empty for the region's endpoint ('ftp://x')"});
  CHECK(errors_of("[aws]\nregion = EU West\n") ==
        strings{"c.ini:2: [aws] region: expected a region name such as eu-west-1 (lower-case "
                "letters, digits, '-') ('EU West')"});
  CHECK(errors_of("[aws]\nasg_name = arn:aws:autoscaling:x\n") ==
        strings{"c.ini:2: [aws] asg_name: give the name, not an ARN (no ':') "
                "('arn:aws:autoscaling:x')"});
  CHECK(errors_of("[aws]\ndiscovery_tag = =x\n") ==
        strings{"c.ini:2: [aws] discovery_tag: expected KEY or KEY=VALUE, KEY 1 to 128 "
                "characters ('=x')"});
  CHECK(errors_of("[aws]\ndiscovery_tag = role=\n") ==
        strings{"c.ini:2: [aws] discovery_tag: VALUE after '=' must be 1 to 256 characters "
                "(or give KEY alone) ('role=')"});
  CHECK(errors_of("[aws]\npoll_interval = 10ms\n").size() == 1);
  CHECK(errors_of("[aws]\nspot_margin = 2m\n").size() == 1);
  CHECK(errors_of("[aws]\nheartbeat_interval = 3h\n").size() == 1);
  CHECK(errors_of("[aws]\nrequest_timeout = 0s\n").size() == 1);
}

TEST_CASE("[aws] checks across keys: a hook needs lifecycle = imds, discovery a fixed port") {
  CHECK(errors_of("[aws]\nlifecycle_hook = drain\n") ==
        strings{"c.ini:2: [aws] lifecycle_hook: 'drain' needs lifecycle = imds (the node "
                "completes the hook's action only when it watches its lifecycle)"});
  CHECK(errors_of("[node]\ncluster_listen = 127.0.0.1:0\n[aws]\ndiscovery = ec2\n") ==
        strings{"c.ini:4: [aws] discovery: ec2 needs a fixed [node] cluster_listen port (the "
                "peers found are joined on it), not port 0"});
  CHECK(errors_of("[aws]\nlifecycle = imds\nlifecycle_hook = drain\ndiscovery = ec2\n")
          .empty());
}
