// switchboard: `node` runs a node, `check-config` validates a config and prints it,
// `console` is the debug console.
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/aws_start.hpp"
#include "runtime/config/config.hpp"
#include "runtime/logging.hpp"
#include "runtime/node.hpp"
#include "runtime/console_client/console.hpp"

namespace {

// Prints every config problem as FILE:LINE: message; returns the exit code.
int report(const sb::config_result& r) {
  for (auto& e : r.errors)
    std::cerr << e.to_string() << '\n';
  return r.ok() ? 0 : 2;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"switchboard: a runtime for AI phone-call agents"};
  app.set_version_flag("--version", std::string("switchboard ") + SB_VERSION);
  app.require_subcommand(1);

  std::string config_path;
  std::vector<std::string> overrides;
  std::string port_file;
  std::string http_port_file;

  auto* node = app.add_subcommand("node", "Run a node (SIGTERM/SIGINT drains, then exits 0)");
  node->add_option("--config", config_path, "Config file (INI); embedded defaults if omitted");
  node->add_option("--set", overrides, "Override a key: SECTION.KEY=VALUE (repeatable)");
  node->add_option("--port-file", port_file, "Write the bound port here once listening");
  node->add_option("--http-port-file", http_port_file,
                   "Write the port of [http] listen here once listening (when it is set)");

  auto* check = app.add_subcommand("check-config",
                                   "Validate a config and print the effective values");
  check->add_option("--config", config_path, "Config file (INI)");
  check->add_option("--set", overrides, "Override a key: SECTION.KEY=VALUE (repeatable)");

  sb::console_tool::console_args con;
  auto* console = app.add_subcommand("console", "Debug console of a running cluster");
  console->add_option("--connect", con.connect, "A node's cluster_listen (HOST:PORT)")
    ->required();
  console->add_option("--exec", con.exec,
                      "Run these commands (separated by ';') and exit; non-zero on error");
  console->add_flag("--json", con.json, "Print machine-readable JSON (one document a line)");
  auto* secret = console->add_option(
    "--secret", con.secret, "Cluster secret (default: $SWITCHBOARD_CLUSTER_SECRET)");
  console->add_option("--tls-cert", con.tls_cert, "Client certificate (clusters with TLS)");
  console->add_option("--tls-key", con.tls_key, "Client private key (clusters with TLS)");
  console->add_option("--tls-ca", con.tls_ca, "CA certificate (clusters with TLS)");
  console->add_option("--timeout", con.timeout_s, "Seconds to wait for each reply")
    ->check(CLI::Range(1, 3600));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    auto code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*console) {
    con.secret_given = secret->count() > 0;
    return sb::console_tool::run_console(con);
  }
  auto loaded = sb::load_config(config_path, overrides);
  if (*check) {
    if (auto rc = report(loaded))
      return rc;
    std::cout << sb::render_config(loaded.config);
    return 0;
  }
  if (auto rc = report(loaded))
    return rc;
  sb::setup_logging(loaded.config.log, loaded.config.node.name);
  std::string aws_err;  // [aws]: {asg} in the EMF dimensions, discovered seeds
  if (!sb::prepare_aws(loaded.config, aws_err)) {
    std::cerr << aws_err << '\n';
    return 1;
  }
  return sb::run_node(loaded.config, sb::node_run_options{port_file, http_port_file});
}
