// [aws]: the node on EC2 (docs/configuration.md#aws, docs/deploy-aws.md). Kept apart from
// schema.cpp, which holds every other section.
#include <algorithm>
#include <cctype>

#include "runtime/config/schema.hpp"
#include "runtime/config/values.hpp"

namespace sb::cfg {

namespace {

using namespace std::chrono_literals;
using text_check = std::function<std::string(const std::string&)>;

key_spec text(const char* name, std::string aws_section::*f, text_check check) {
  return {name,
          [=](node_config& c, const std::string& v) {
            auto e = check(v);
            if (e.empty()) c.aws.*f = v;
            return e;
          },
          [=](const node_config& c) { return c.aws.*f; }};
}

key_spec duration(const char* name, millis aws_section::*f, millis lo, millis hi) {
  return {name,
          [=](node_config& c, const std::string& v) {
            return parse_duration(v, lo, hi, c.aws.*f);
          },
          [=](const node_config& c) { return format_duration(c.aws.*f); }};
}

text_check one_of(std::vector<std::string> allowed) {
  return [allowed](const std::string& v) -> std::string {
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return "";
    return "must be one of: " + join_list(allowed);
  };
}

// http(s)://HOST[:PORT][/PATH]; "" only where `allow_empty` (then the AWS endpoint).
text_check endpoint(bool allow_empty) {
  return [allow_empty](const std::string& v) -> std::string {
    if (v.empty())
      return allow_empty ? "" : "must not be empty";
    url_parts u;
    auto e = parse_url(v, "http,https", u);
    if (!e.empty() && allow_empty) e += ", or empty for the region's endpoint";
    return e;
  };
}

// An AWS region name such as eu-west-1: lower-case letters, digits and '-'.
std::string region(const std::string& v) {
  if (v.empty()) return "";
  if (v.size() > 32) return "must be at most 32 characters";
  for (char c : v)
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '-')
      return "expected a region name such as eu-west-1 (lower-case letters, digits, '-')";
  return "";
}

// The names Auto Scaling takes for a group or a hook: 1-255 characters, no ':' (so no
// ARN) and no control characters.
std::string aws_name(const std::string& v) {
  if (v.empty()) return "";
  if (v.size() > 255) return "must be at most 255 characters";
  if (v.find(':') != std::string::npos) return "give the name, not an ARN (no ':')";
  return check_printable(v);
}

// KEY or KEY=VALUE of an EC2 tag (KEY up to 128 characters, VALUE up to 256).
std::string tag(const std::string& v) {
  auto eq = v.find('=');
  auto key = v.substr(0, eq);
  if (key.empty() || key.size() > 128) return "expected KEY or KEY=VALUE, KEY 1 to 128 characters";
  if (eq != std::string::npos && (eq + 1 == v.size() || v.size() - eq - 1 > 256))
    return "VALUE after '=' must be 1 to 256 characters (or give KEY alone)";
  return check_printable(v);
}

} // namespace

section_spec aws_section_spec() {
  return {"aws",
          {text("lifecycle", &aws_section::lifecycle, one_of({"off", "imds"})),
           text("discovery", &aws_section::discovery, one_of({"off", "ec2"})),
           text("imds_url", &aws_section::imds_url, endpoint(false)),
           text("region", &aws_section::region, region),
           text("autoscaling_url", &aws_section::autoscaling_url, endpoint(true)),
           text("ec2_url", &aws_section::ec2_url, endpoint(true)),
           text("lifecycle_hook", &aws_section::lifecycle_hook, aws_name),
           text("asg_name", &aws_section::asg_name, aws_name),
           text("discovery_tag", &aws_section::discovery_tag, tag),
           duration("poll_interval", &aws_section::poll_interval, 100ms, 300000ms),
           duration("heartbeat_interval", &aws_section::heartbeat_interval, 100ms,
                    7200000ms),
           duration("spot_margin", &aws_section::spot_margin, 0ms, 110000ms),
           duration("request_timeout", &aws_section::request_timeout, 100ms, 60000ms)}};
}

} // namespace sb::cfg
