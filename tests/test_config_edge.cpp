// Config validation of the node's edge: [admission], [auth], [http], [metrics]
// (runtime/config).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/config_checks.hpp"

using namespace std::chrono_literals;
using namespace sb::test::config;
using strings = std::vector<std::string>;

TEST_CASE("[admission] edge limits: defaults, ranges and CIDR lists") {
  sb::node_config d;
  CHECK(d.admission.pending_per_ip == 100);
  CHECK(d.admission.pending_max == 1000);
  CHECK(d.admission.max_message_bytes == 65536);
  CHECK(d.admission.max_frames_per_second == 200);
  CHECK(d.admission.max_send_buffer_bytes == 131072);
  CHECK(d.admission.handshake_timeout == 10000ms);
  CHECK(d.admission.trusted_proxies.empty());
  CHECK(d.call.start_timeout == 2000ms);
  auto r = load_config("", {"admission.trusted_proxies=10.0.0.0/8, fd00::/8",
                            "admission.pending_per_ip=3", "admission.pending_max=40",
                            "admission.max_message_bytes=2048",
                            "admission.max_frames_per_second=60",
                            "admission.max_send_buffer_bytes=16384",
                            "admission.handshake_timeout=2s"});
  REQUIRE(messages(r) == strings{});
  CHECK(r.config.admission.trusted_proxies == strings{"10.0.0.0/8", "fd00::/8"});
  CHECK(r.config.admission.pending_per_ip == 3);
  CHECK(r.config.admission.pending_max == 40);
  CHECK(r.config.admission.max_message_bytes == 2048);
  CHECK(r.config.admission.max_frames_per_second == 60);
  CHECK(r.config.admission.max_send_buffer_bytes == 16384);
  CHECK(r.config.admission.handshake_timeout == 2000ms);
  CHECK(errors_of("[admission]\nmax_send_buffer_bytes = 4096\n") ==
        strings{"c.ini:2: [admission] max_send_buffer_bytes: must be from 16384 to 67108864 "
                "('4096')"});
  CHECK(errors_of("[admission]\nhandshake_timeout = 500ms\n") ==
        strings{"c.ini:2: [admission] handshake_timeout: must be from 1s to 1m ('500ms')"});
  CHECK(errors_of("[admission]\ntrusted_proxies = 10.0.0.0/40\n") ==
        strings{"c.ini:2: [admission] trusted_proxies: '10.0.0.0/40' has a bad prefix "
                "length (0 to 32) ('10.0.0.0/40')"});
  CHECK(errors_of("[admission]\npending_per_ip = 0\n") ==
        strings{"c.ini:2: [admission] pending_per_ip: must be from 1 to 1000000 ('0')"});
  CHECK(errors_of("[admission]\npending_max = 0\n") ==
        strings{"c.ini:2: [admission] pending_max: must be from 1 to 10000000 ('0')"});
  CHECK(errors_of("[admission]\nmax_message_bytes = 100\n") ==
        strings{"c.ini:2: [admission] max_message_bytes: must be from 1024 to 16777216 "
                "('100')"});
  CHECK(errors_of("[admission]\npending_max = 10\npending_per_ip = 11\n") ==
        strings{"c.ini:3: [admission] pending_per_ip: 11 is more than pending_max (10); "
                "one address could then take every place"});
  CHECK(errors_of("[admission]\nmax_frames_per_second = 50\n") ==
        strings{"c.ini:2: [admission] max_frames_per_second: must be from 60 to 100000 "
                "('50')"});
}

TEST_CASE("[auth] modes per dialect, secrets named by environment variable") {
  sb::node_config d;
  CHECK(d.auth.twilio == "none");
  CHECK(d.auth.exotel == "none");
  CHECK(d.auth.token_env == "SWITCHBOARD_STREAM_TOKEN");
  CHECK(d.auth.twilio_auth_token_env == "TWILIO_AUTH_TOKEN");
  CHECK(d.auth.public_url.empty());
  CHECK(d.auth.exotel_credentials_env == "EXOTEL_STREAM_CREDENTIALS");
  auto r = load_config("", {"auth.twilio=signature", "auth.exotel=basic",
                            "auth.token_env=EDGE_TOKEN", "auth.twilio_auth_token_env=TW_TOKEN",
                            "auth.public_url=wss://voice.example.com/edge",
                            "auth.exotel_credentials_env=EX_CREDS"});
  REQUIRE(messages(r) == strings{});
  CHECK(r.config.auth.twilio == "signature");
  CHECK(r.config.auth.exotel == "basic");
  CHECK(r.config.auth.token_env == "EDGE_TOKEN");
  CHECK(r.config.auth.twilio_auth_token_env == "TW_TOKEN");
  CHECK(r.config.auth.public_url == "wss://voice.example.com/edge");
  CHECK(r.config.auth.exotel_credentials_env == "EX_CREDS");
  CHECK(load_config("", {"auth.twilio=token", "auth.exotel=token"}).errors.empty());
  CHECK(errors_of("[auth]\ntwilio = basic\n") ==
        strings{"c.ini:2: [auth] twilio: must be one of: none, token, signature ('basic')"});
  CHECK(errors_of("[auth]\nexotel = signature\n") ==
        strings{"c.ini:2: [auth] exotel: must be one of: none, token, basic ('signature')"});
  CHECK(errors_of("[auth]\npublic_url = https://voice.example.com\n").size() == 1);
  // A pasted secret is never echoed.
  for (auto key : {"token_env", "twilio_auth_token_env", "exotel_credentials_env"}) {
    auto bad = errors_of(std::string("[auth]\n") + key + " = s3cr3t-v@lue\n");
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].find("s3cr3t") == std::string::npos);
    CHECK(bad[0].find("(value hidden)") != std::string::npos);
  }
  CHECK(errors_of("[auth]\ntoken_env = A,B\n") ==
        strings{"c.ini:2: [auth] token_env: must name one environment variable (value hidden)"});
  CHECK(errors_of("[auth]\ntoken_env =\n").size() == 1);
}

TEST_CASE("[http] listen and token_env: the operator routes' address and bearer token") {
  sb::node_config d;
  CHECK_FALSE(d.http.separate());
  CHECK(d.http.token_env.empty());
  auto r = load_config("", {"http.listen=127.0.0.1:9464", "http.token_env=OPS_TOKEN"});
  REQUIRE(messages(r) == strings{});
  CHECK(r.config.http.separate());
  CHECK(r.config.http.listen.host == "127.0.0.1");
  CHECK(r.config.http.listen.port == 9464);
  CHECK(r.config.http.token_env == "OPS_TOKEN");
  auto empty = load_config("", {"http.listen=127.0.0.1:9464", "http.listen="});
  CHECK(messages(empty) == strings{});
  CHECK_FALSE(empty.config.http.separate());
  CHECK(errors_of("[http]\nlisten = nowhere\n").size() == 1);
  CHECK(errors_of("[node]\nlisten = 127.0.0.1:8080\n[http]\nlisten = 0.0.0.0:8080\n") ==
        strings{"c.ini:4: [http] listen: must not use the same port as [node] listen "
                "('0.0.0.0:8080')"});
  auto bad = errors_of("[http]\ntoken_env = ops-s3cr3t\n");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].find("s3cr3t") == std::string::npos);
}

TEST_CASE("[metrics] EMF keys: defaults, ranges, namespace, dimensions and file") {
  sb::node_config d;
  CHECK(d.metrics.emf_interval == 0ms);
  CHECK(d.metrics.emf_namespace == "Switchboard");
  using dims = std::vector<std::pair<std::string, std::string>>;
  CHECK(d.metrics.emf_dimensions == dims{{"Node", "{node}"}});
  CHECK(d.metrics.emf_file.empty());
  temp_dir dir;
  auto file = (dir.path / "emf.log").string();
  auto r = load_config("", {"metrics.emf_interval=250ms", "metrics.emf_namespace=Voice/Agents",
                            "metrics.emf_dimensions=AutoScalingGroupName = voice-asg, Node={node}",
                            "metrics.emf_file=" + file});
  REQUIRE(messages(r) == strings{});
  CHECK(r.config.metrics.emf_interval == 250ms);
  CHECK(r.config.metrics.emf_namespace == "Voice/Agents");
  CHECK(r.config.metrics.emf_dimensions ==
        dims{{"AutoScalingGroupName", "voice-asg"}, {"Node", "{node}"}});
  CHECK(r.config.metrics.emf_file == file);
  CHECK(errors_of("[metrics]\nemf_interval = 50ms\n") ==
        strings{"c.ini:2: [metrics] emf_interval: must be 0s (off) or at least 100ms ('50ms')"});
  CHECK(errors_of("[metrics]\nemf_interval = 61m\n") ==
        strings{"c.ini:2: [metrics] emf_interval: must be from 0s to 60m ('61m')"});
  CHECK(errors_of("[metrics]\nemf_namespace = AWS/EC2\n") ==
        strings{"c.ini:2: [metrics] emf_namespace: must not start with 'AWS/' (reserved for "
                "AWS) ('AWS/EC2')"});
  CHECK(errors_of("[metrics]\nemf_namespace = a$b\n") ==
        strings{"c.ini:2: [metrics] emf_namespace: may contain only letters, digits, spaces "
                "and . - _ / # : ('a$b')"});
  CHECK(errors_of("[metrics]\nemf_dimensions = Node\n") ==
        strings{"c.ini:2: [metrics] emf_dimensions: 'Node': expected NAME=VALUE ('Node')"});
  CHECK(errors_of("[metrics]\nemf_dimensions = A=1, A=2\n") ==
        strings{"c.ini:2: [metrics] emf_dimensions: dimension 'A' given twice ('A=1, A=2')"});
  CHECK(errors_of("[metrics]\nemf_dimensions = ActiveCalls=3\n") ==
        strings{"c.ini:2: [metrics] emf_dimensions: 'ActiveCalls' is a member of the EMF "
                "line itself ('ActiveCalls=3')"});
  CHECK(errors_of("[metrics]\nemf_dimensions = A=\n") ==
        strings{"c.ini:2: [metrics] emf_dimensions: 'A=': a value is 1 to 1024 characters "
                "('A=')"});
  CHECK(errors_of("[metrics]\nemf_dimensions = a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1,j=1\n") ==
        strings{"c.ini:2: [metrics] emf_dimensions: at most 9 dimensions "
                "('a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1,j=1')"});
  CHECK(errors_of("[metrics]\nemf_dimensions =\n") ==
        strings{"c.ini:2: [metrics] emf_dimensions: give at least one NAME=VALUE ('')"});
  CHECK(errors_of("[metrics]\nemf_file = /no/such/dir/emf.log\n") ==
        strings{"c.ini:2: [metrics] emf_file: no such directory: '/no/such/dir/' "
                "('/no/such/dir/emf.log')"});
  CHECK(errors_of("[metrics]\nemf_file = " + dir.path.string() + "\n") ==
        strings{"c.ini:2: [metrics] emf_file: '" + dir.path.string() + "' is a directory ('" +
                dir.path.string() + "')"});
}
