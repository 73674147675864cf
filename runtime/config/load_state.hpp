// Internal to runtime/config: the state one load_config() call builds up.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "runtime/config/config.hpp"
#include "runtime/config/schema.hpp"

namespace sb::cfg {

struct location {
  std::string file;
  int line = 0;
};

struct load_state {
  node_config config;
  std::vector<config_error> errors;
  std::map<std::string, location> origin; // "section.key" -> where its value was last set
  std::string path;                       // the config file ("" = defaults only)

  void error(const location& at, std::string message) {
    errors.push_back(config_error{at.file, at.line, std::move(message)});
  }
};

// Where the first of `keys` ("section.key") that was set got its value; the file itself
// (line 0) when none was, so an error about a pairing still names the config it is about.
inline location where(const load_state& st, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (auto it = st.origin.find(k); it != st.origin.end())
      return it->second;
  return {st.path.empty() ? "<defaults>" : st.path, 0};
}

// Parses and stores one value; on failure reports "[section] key: what ('value')" at
// `at`.
void apply_value(load_state& st, const section_spec& s, const key_spec& k,
                 const std::string& value, const location& at);

// Reads `st.path` with inih, reporting syntax, section, key and value errors by line.
void parse_file(load_state& st);

// Checks that involve more than one key; run after the file and the overrides.
void check_cross_keys(load_state& st);
// The offline providers' pairings and files (checks_offline.cpp).
void check_offline(load_state& st);

} // namespace sb::cfg
