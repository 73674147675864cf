#include "tests/support/cluster.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sb::test {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

} // namespace

std::string cluster_node::log() const {
  return read_file(log_path);
}

cluster_node start_cluster_node(const std::string& dir, const std::string& name,
                                const std::string& seeds, uint16_t cluster_port,
                                const std::vector<std::string>& sets,
                                const std::vector<std::string>& env) {
  cluster_node n;
  n.name = name;
  n.log_path = dir + "/" + name + ".log";
  auto port_file = dir + "/" + name + ".port";
  std::remove(port_file.c_str());
  std::vector<std::string> argv{SB_NODE_BIN, "node", "--port-file", port_file,
                                "--set", "node.name=" + name,
                                "--set", "node.listen=127.0.0.1:0",
                                "--set", "node.cluster_listen=127.0.0.1:" +
                                           std::to_string(cluster_port),
                                "--set", "cluster.seeds=" + seeds,
                                "--set", "store.transcripts=sqlite:" + dir + "/" + name +
                                           "-transcripts.db"};
  for (auto& s : sets) {
    argv.push_back("--set");
    argv.push_back(s);
  }
  n.proc = child(argv, n.log_path, env);
  auto p = wait_port_file(port_file, std::chrono::seconds{20});
  if (!p)
    throw std::runtime_error("node " + name + " did not start; see " + n.log_path);
  n.http_port = *p;
  // Empty when the node is already gone (a node the cluster refused exits at once).
  auto members = get_json(n.http_port, "/api/v1/stats")["cluster"]["members"];
  if (members.is_array() && !members.empty())
    n.cluster_address = members[0].value("address", "");
  return n;
}

std::map<std::string, std::string> member_states(uint16_t http_port) {
  std::map<std::string, std::string> out;
  auto members = get_json(http_port, "/api/v1/stats")["cluster"]["members"];
  if (!members.is_array())
    return out;
  for (auto& m : members)
    out[m.value("name", "?")] = m.value("state", "?");
  return out;
}

namespace {

console_result console_run(const std::string& address, const std::string& commands,
                           const std::vector<std::string>& extra,
                           const std::vector<std::string>& env, bool as_json) {
  auto dir = temp_dir("sb-console");
  std::vector<std::string> argv{SB_NODE_BIN, "console", "--connect", address};
  if (as_json)
    argv.push_back("--json");
  argv.insert(argv.end(), {"--exec", commands});
  argv.insert(argv.end(), extra.begin(), extra.end());
  console_result r;
  pid_t pid = fork();
  if (pid == 0) {
    int out = ::open((dir + "/out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open((dir + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    unsetenv("SWITCHBOARD_CLUSTER_SECRET");
    for (auto& e : env)
      putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);  // the console bounds every request (--timeout)
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(dir + "/out");
  r.err = read_file(dir + "/err");
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded())
      r.docs.push_back(std::move(j));
  }
  return r;
}

} // namespace

console_result run_console(const std::string& address, const std::string& commands,
                           const std::vector<std::string>& extra,
                           const std::vector<std::string>& env) {
  return console_run(address, commands, extra, env, true);
}

console_result run_console_text(const std::string& address, const std::string& commands,
                                const std::vector<std::string>& extra) {
  return console_run(address, commands, extra, {}, false);
}

} // namespace sb::test
