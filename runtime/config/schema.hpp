// The table of every section and key of cluster.ini: how to parse a value into
// sb::node_config and how to render it back. Order = documented order (render_config).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "messages/config.hpp"

namespace sb::cfg {

struct key_spec {
  std::string name;
  // Parses `value` into the config; returns "" or what is wrong with it.
  std::function<std::string(node_config&, const std::string& value)> set;
  // The current value as it would be written in cluster.ini.
  std::function<std::string(const node_config&)> get;
  // Never echo the value in errors (secrets, or keys that may hold a pasted API key).
  bool hide_value = false;
  // The value as errors echo it, when only part of it is secret (a URI's password).
  std::function<std::string(const std::string&)> shown_as = nullptr;
  // A file or directory the node reads: a relative path written in a config file is
  // relative to that file's directory (resolved to an absolute path as it is read); one
  // given with --set is relative to the working directory.
  bool file_path = false;
};

struct section_spec {
  std::string name;
  std::vector<key_spec> keys;
  const key_spec* find(const std::string& key) const;
};

const std::vector<section_spec>& schema();
// [aws] (runtime/config/schema_aws.cpp), the last section of schema().
section_spec aws_section_spec();
const section_spec* find_section(const std::string& name);

// " (did you mean [x]?)" or "" for a mistyped section name.
std::string suggest_section(const std::string& name);
// " (did you mean 'x'?)", " ('x' belongs in [y])" or "" for an unknown key in `section`.
std::string suggest_key(const section_spec& section, const std::string& key);

} // namespace sb::cfg
