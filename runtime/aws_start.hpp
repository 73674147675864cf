// The node on EC2, before it starts ([aws], docs/deploy-aws.md): what the instance is
// (IMDSv2), {asg} in [metrics] emf_dimensions made the group's name, and with
// [aws] discovery = ec2 the other instances' private addresses added to [cluster] seeds.
#pragma once

#include <string>

#include "messages/config.hpp"
#include "net/aws/imds.hpp"

namespace sb {

struct instance_identity {
  std::string instance_id;
  std::string region;
  std::string asg_name;    // when asked for: [aws] asg_name, else the instance's tag
  std::string private_ip;  // when asked for: meta-data/local-ipv4
};

// Reads what is asked for from IMDS (region and instance id always); false with `err`
// naming the path that failed.
bool read_identity(aws::imds_client& imds, const aws_section& cfg, bool need_asg,
                   bool need_ip, instance_identity& out, std::string& err);

// The group's name: [aws] asg_name, else the tag aws:autoscaling:groupName from IMDS.
std::string read_asg_name(aws::imds_client& imds, const aws_section& cfg, std::string& err);

// Fills {asg} and discovered seeds into `cfg`. False with `err` only when the node must
// not start (an {asg} dimension whose group cannot be read); a failed discovery is
// logged and leaves [cluster] seeds as they were.
bool prepare_aws(node_config& cfg, std::string& err);

} // namespace sb
