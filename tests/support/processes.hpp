// Integration-test helpers: start the real binaries as child processes on loopback
// ports they pick themselves (port 0 + a port file), talk HTTP to them, stop them by pid.
#pragma once

#include <chrono>
#include <map>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sb::test {

class child {
public:
  child() = default;
  // argv[0] is the binary path; output goes to log_path.
  child(std::vector<std::string> argv, const std::string& log_path,
        std::vector<std::string> env = {});
  child(child&& other) noexcept;
  child& operator=(child&& other) noexcept;
  ~child();
  int pid() const { return pid_; }
  // Sends `sig` and waits up to `timeout` for the exit; returns the exit code, or -1.
  int stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds{20});
  bool running();
  // SIGSTOP, then waits until every thread of the process has stopped (waitpid reports
  // the group stop): until then its threads that are running or queued for a CPU go on
  // working, for tens of ms on a loaded machine. False if it exited instead.
  bool freeze();
  // SIGCONT: the frozen process runs on.
  bool thaw();
  // The process' state as /proc shows it ("R", "S", "T" stopped, "Z" exited, not reaped),
  // or "gone": for a test's message when a process does not answer.
  std::string proc_state() const;
  // Waits up to `timeout` for the process to exit by itself; returns its exit code (as
  // stop() does), or -1 when it is still running (it is left running).
  int wait_exit(std::chrono::milliseconds timeout);

private:
  int pid_ = -1;
};

// Waits until `path` holds a port number (the process writes it once listening).
std::optional<uint16_t> wait_port_file(const std::string& path,
                                       std::chrono::milliseconds timeout);

struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};
// `headers`: extra request headers, "Name: value".
http_reply http_request(uint16_t port, const std::string& method, const std::string& path,
                        const std::string& body = "",
                        const std::vector<std::string>& headers = {});

// GET a JSON document; an empty object when there is no valid JSON answer.
nlohmann::json get_json(uint16_t port, const std::string& path);

// A loopback port free a moment ago (bound to port 0, read back, closed), for a server
// that cannot report the port it picked itself (Prometheus). Another process may take it
// in between: start such a server with a retry.
uint16_t free_loopback_port();

// A fresh directory under /tmp for one test's files.
std::string temp_dir(const std::string& prefix);

// Starts switchboard-provider-sim on a free loopback port, logging to DIR/sim.log;
// returns the port (throws if it does not come up within 20 s).
uint16_t start_sim(const std::string& dir, const std::vector<std::string>& flags, child& sim);

// The provider simulator and a node pointed at it.
struct stack {
  std::string dir;
  child sim;
  child node;
  uint16_t sim_port = 0;
  uint16_t node_port = 0;
  // Extra simulator flags and node --set overrides ("{sim_port}" in an override becomes
  // the simulator's port, "{dir}" the test's directory).
  stack(const std::vector<std::string>& sim_flags, const std::vector<std::string>& sets,
        const std::vector<std::string>& extra_env = {});
  std::string node_log() const;
  // The port of the node's [http] listen (waits for its port file; 0 when it has none).
  uint16_t http_port() const;
};

} // namespace sb::test
