// Loading and validating cluster.ini (see docs/configuration.md).
//
//   auto r = sb::load_config("cluster.ini", {"pool.stt.max_active=5"});
//   if (!r.ok()) for (auto& e : r.errors) std::cerr << e.to_string() << '\n';
//
// All problems are collected (not just the first); nothing here throws.
#pragma once

#include <string>
#include <vector>

#include "messages/config.hpp"

namespace sb {

struct config_error {
  std::string file; // the config path, or "--set" for an override
  int line = 0;     // 1-based; 0 = the file as a whole (cannot open) or a default value
  std::string message;
  std::string to_string() const; // "FILE:LINE: message"
};

struct config_result {
  node_config config; // defaults, overlaid by every value that parsed
  std::vector<config_error> errors;
  bool ok() const { return errors.empty(); }
};

// path "" = embedded defaults only. `overrides` are "SECTION.KEY=VALUE" strings from
// --set (the section may contain a dot: "pool.stt.max_active=5"), applied after the file;
// an error in one reports file "--set" and line = its 1-based index.
config_result load_config(const std::string& path,
                          const std::vector<std::string>& overrides);

// The effective config as INI text (every section and key, documented order), for
// `switchboard check-config`. Loading the text again yields the same config, except that
// the cluster secret renders as "<set>" (or empty when unset) and is never printed.
std::string render_config(const node_config& c);

} // namespace sb
