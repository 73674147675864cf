// `switchboard console`: the debug console. Connects to a node's cluster_listen through
// CAF's middleman, proves the cluster secret like a joining node, and runs commands
// (interactively with line editing and history, or --exec "CMD; CMD").
#pragma once

#include <string>

namespace sb::console_tool {

struct console_args {
  std::string connect;      // HOST:PORT (the node's cluster_listen)
  std::string exec;         // commands separated by ';' (empty: interactive)
  bool json = false;        // print the JSON replies
  std::string secret;       // --secret, else $SWITCHBOARD_CLUSTER_SECRET
  bool secret_given = false;
  std::string tls_cert;     // when the cluster uses TLS: all three
  std::string tls_key;
  std::string tls_ca;
  int timeout_s = 10;       // per request
};

// Returns the process exit code: 0 ok, 1 connection or command failed, 2 bad usage.
int run_console(console_args args);

} // namespace sb::console_tool
