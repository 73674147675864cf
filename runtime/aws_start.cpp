#include "runtime/aws_start.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "net/aws/query_api.hpp"
#include "runtime/config/values.hpp"

namespace sb {

namespace {

constexpr const char* asg_tag = "aws:autoscaling:groupName";
constexpr int start_attempts = 5;  // IMDS reads at start: 5 tries, a second apart

bool uses_asg(const metrics_section& m) {
  for (auto& [n, v] : m.emf_dimensions)
    if (v.find("{asg}") != std::string::npos)
      return true;
  return false;
}

// `read` until it succeeds, up to start_attempts times.
template <class F>
bool with_retries(const char* what, F read, std::string& err) {
  for (int attempt = 1; attempt <= start_attempts; ++attempt) {
    err.clear();
    if (read(err))
      return true;
    spdlog::warn("aws: {}: {} (attempt {} of {})", what, err, attempt, start_attempts);
    if (attempt < start_attempts)
      std::this_thread::sleep_for(std::chrono::seconds{1});  // a retry's pause, not a sync
  }
  return false;
}

// Private addresses of the instances with the tag (every page), without `self`.
bool describe_peers(const aws_section& cfg, const instance_identity& id,
                    aws::imds_client& imds, const std::string& key, const std::string& value,
                    std::vector<std::string>& out, std::string& err) {
  aws::credentials creds;
  if (!imds.role_credentials(creds, err))
    return false;
  auto endpoint =
    cfg.ec2_url.empty() ? aws::default_endpoint("ec2", id.region) : cfg.ec2_url;
  std::string token;
  out.clear();
  for (int page = 0; page < 100; ++page) {
    aws::query_params p{{"Action", "DescribeInstances"},
                        {"Version", "2016-11-15"},
                        {"Filter.1.Name", "tag:" + key},
                        {"Filter.1.Value.1", value},
                        {"Filter.2.Name", "instance-state-name"},
                        {"Filter.2.Value.1", "pending"},
                        {"Filter.2.Value.2", "running"}};
    if (!token.empty())
      p.emplace_back("NextToken", token);
    auto r = aws::query_call(endpoint, id.region, "ec2", p, creds, cfg.request_timeout);
    if (!r.ok()) {
      err = "DescribeInstances at " + endpoint + ": " + r.describe();
      return false;
    }
    std::vector<std::string> ips;
    if (!aws::parse_describe_instances(r.body, ips, token, err)) {
      err = "DescribeInstances at " + endpoint + ": " + err;
      return false;
    }
    for (auto& ip : ips)
      if (ip != id.private_ip && std::find(out.begin(), out.end(), ip) == out.end())
        out.push_back(ip);
    if (token.empty())
      return true;
  }
  return true;
}

} // namespace

std::string read_asg_name(aws::imds_client& imds, const aws_section& cfg, std::string& err) {
  if (!cfg.asg_name.empty())
    return cfg.asg_name;
  auto r = imds.get(std::string("meta-data/tags/instance/") + asg_tag);
  if (r.ok() && !r.body.empty())
    return r.body;
  err = "IMDS meta-data/tags/instance/" + std::string(asg_tag) + ": " + aws::describe(r) +
        (r.status == 404 ? " (not in an Auto Scaling group, or instance metadata tags are "
                           "off: set [aws] asg_name)"
                         : "");
  return "";
}

bool read_identity(aws::imds_client& imds, const aws_section& cfg, bool need_asg,
                   bool need_ip, instance_identity& out, std::string& err) {
  if (out.instance_id.empty() && (out.instance_id = imds.read("meta-data/instance-id", err)).empty())
    return false;
  if (out.region.empty()) {
    out.region = cfg.region;
    if (out.region.empty() && (out.region = imds.read("meta-data/placement/region", err)).empty())
      return false;
  }
  if (need_asg && out.asg_name.empty() && (out.asg_name = read_asg_name(imds, cfg, err)).empty())
    return false;
  if (need_ip && out.private_ip.empty() &&
      (out.private_ip = imds.read("meta-data/local-ipv4", err)).empty())
    return false;
  return true;
}

bool prepare_aws(node_config& cfg, std::string& err) {
  bool asg_dim = uses_asg(cfg.metrics);
  bool discover = cfg.aws.discovery == "ec2";
  if (!asg_dim && !discover)
    return true;
  aws::imds_client imds{cfg.aws.imds_url, cfg.aws.request_timeout};
  instance_identity id;
  if (asg_dim) {
    if (!with_retries("the instance's Auto Scaling group for [metrics] emf_dimensions {asg}",
                      [&](std::string& e) { return read_identity(imds, cfg.aws, true, false, id, e); },
                      err)) {
      err = "[metrics] emf_dimensions: {asg}: cannot read the instance's Auto Scaling group: " + err;
      return false;
    }
    for (auto& [n, v] : cfg.metrics.emf_dimensions)
      for (auto at = v.find("{asg}"); at != std::string::npos; at = v.find("{asg}", at))
        v.replace(at, 5, id.asg_name);
    spdlog::info("aws: EMF dimensions from the instance's group {}", id.asg_name);
  }
  if (!discover)
    return true;
  auto eq = cfg.aws.discovery_tag.find('=');
  auto key = cfg.aws.discovery_tag.substr(0, eq);
  std::string value = eq == std::string::npos ? "" : cfg.aws.discovery_tag.substr(eq + 1);
  std::vector<std::string> peers;
  std::string derr;
  bool found = with_retries(
    "discovery (DescribeInstances)",
    [&](std::string& e) {
      if (!read_identity(imds, cfg.aws, false, true, id, e))
        return false;
      if (value.empty()) {
        if (key == asg_tag) {
          value = read_asg_name(imds, cfg.aws, e);
        } else {
          auto r = imds.get("meta-data/tags/instance/" + key);
          value = r.ok() ? r.body : "";
          if (value.empty())
            e = "IMDS meta-data/tags/instance/" + key + ": " + aws::describe(r);
        }
        if (value.empty())
          return false;
      }
      return describe_peers(cfg.aws, id, imds, key, value, peers, e);
    },
    derr);
  if (!found) {
    spdlog::error("aws: discovery failed, starting with [cluster] seeds only ({} given): {}",
                  cfg.cluster.seeds.size(), derr);
    return true;
  }
  std::string list;
  for (auto& ip : peers) {
    host_port hp{ip, cfg.node.cluster_listen.port};
    bool known = false;
    for (auto& s : cfg.cluster.seeds)
      known = known || (s.host == hp.host && s.port == hp.port);
    if (!known)
      cfg.cluster.seeds.push_back(hp);
    list += (list.empty() ? "" : ", ") + cfg::format_host_port(hp);
  }
  spdlog::info("aws: discovery: {} peers with tag {}={}{}{}", peers.size(), key, value,
               peers.empty() ? "" : ": ", list);
  return true;
}

} // namespace sb
