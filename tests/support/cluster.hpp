// Integration-test helpers for clusters: start nodes that join each other on loopback
// (every port picked by the node itself), read their cluster view, run the console.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tests/support/processes.hpp"

namespace sb::test {

struct cluster_node {
  std::string name;
  child proc;
  uint16_t http_port = 0;
  std::string cluster_address;  // HOST:PORT of its cluster_listen
  std::string log_path;
  std::string log() const;
};

// Starts `switchboard node` named `name` in `dir`, joining `seeds` ("" = first node),
// with cluster_listen on `cluster_port` (0 = any) and extra --set overrides. Throws when
// it does not start listening; cluster_address stays empty if it exited right after.
// `env`: extra NAME=VALUE environment entries (API keys).
cluster_node start_cluster_node(const std::string& dir, const std::string& name,
                                const std::string& seeds, uint16_t cluster_port,
                                const std::vector<std::string>& sets,
                                const std::vector<std::string>& env = {});

// name -> "up"/"down" as the node at `http_port` sees the cluster (/api/v1/stats).
std::map<std::string, std::string> member_states(uint16_t http_port);

struct console_result {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::vector<nlohmann::json> docs;  // each stdout line parsed as JSON (--json)
};

// Runs `switchboard console --connect ADDRESS --json --exec COMMANDS` with `extra` args.
console_result run_console(const std::string& address, const std::string& commands,
                           const std::vector<std::string>& extra = {},
                           const std::vector<std::string>& env = {});
// The same without --json: what an operator reads (`out` holds the text tables).
console_result run_console_text(const std::string& address, const std::string& commands,
                                const std::vector<std::string>& extra = {});

} // namespace sb::test
