// A running node: the actor system, the I/O thread and the node's metrics, wired from a
// validated config. run() blocks until SIGTERM/SIGINT, then drains and returns.
#pragma once

#include <string>

#include "messages/config.hpp"

namespace sb {

struct node_run_options {
  std::string port_file;  // write the bound HTTP/WebSocket port here once listening
  std::string http_port_file;  // and the port of [http] listen, when it is set
};

// Returns the process exit code.
int run_node(const node_config& cfg, const node_run_options& opts);

} // namespace sb
