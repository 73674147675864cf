#include "tests/support/processes.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sb::test {

child::child(std::vector<std::string> argv, const std::string& log_path,
             std::vector<std::string> env) {
  pid_ = fork();
  if (pid_ == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    for (auto& e : env)
      putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

child::child(child&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }

child& child::operator=(child&& other) noexcept {
  std::swap(pid_, other.pid_);
  return *this;
}

child::~child() {
  if (pid_ <= 0)
    return;
#ifdef SB_COVERAGE_BUILD
  // A process killed outright writes no gcov counters: in the coverage build a test's
  // leftover processes are stopped as an operator would (SIGTERM, then SIGKILL after 10 s).
  stop(SIGTERM, std::chrono::seconds{10});
#else
  stop(SIGKILL, std::chrono::seconds{5});
#endif
}

bool child::running() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  return waitpid(pid_, &status, WNOHANG) == 0;
}

bool child::freeze() {
  if (pid_ <= 0 || kill(pid_, SIGSTOP) != 0)
    return false;
  // SIGSTOP cannot be caught or ignored: the process stops or, if it was exiting, exits.
  int status = 0;
  auto r = waitpid(pid_, &status, WUNTRACED);
  if (r == pid_ && WIFSTOPPED(status))
    return true;
  if (r == pid_)
    pid_ = -1;  // it exited: reaped here
  return false;
}

bool child::thaw() { return pid_ > 0 && kill(pid_, SIGCONT) == 0; }

std::string child::proc_state() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/stat");
  std::string line;
  if (pid_ <= 0 || !std::getline(f, line))
    return "gone";
  auto close = line.rfind(')');  // the command name may hold spaces and parentheses
  return close == std::string::npos || close + 2 >= line.size() ? "?" : line.substr(close + 2, 1);
}

int child::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  int pfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  kill(pid_, sig);
  pollfd p{pfd, POLLIN, 0};
  bool exited = pfd >= 0 && poll(&p, 1, static_cast<int>(timeout.count())) > 0;
  if (pfd >= 0)
    close(pfd);
  int status = 0;
  if (!exited)
    kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (!exited)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int child::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  int pfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  pollfd p{pfd, POLLIN, 0};
  bool exited = pfd >= 0 && poll(&p, 1, static_cast<int>(timeout.count())) > 0;
  if (pfd >= 0)
    close(pfd);
  if (!exited)
    return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::optional<uint16_t> wait_port_file(const std::string& path,
                                       std::chrono::milliseconds timeout) {
  auto read_port = [&]() -> std::optional<uint16_t> {
    std::ifstream f(path);
    unsigned port = 0;
    if (f >> port && port > 0 && port < 65536)
      return static_cast<uint16_t>(port);
    return std::nullopt;
  };
  // The writer renames the file into place: wait for that event in its directory.
  int fd = inotify_init1(IN_CLOEXEC);
  auto dir = path.substr(0, path.find_last_of('/'));
  inotify_add_watch(fd, dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<uint16_t> port;
  while (!(port = read_port())) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) > 0) {
      char buf[4096];
      (void) !read(fd, buf, sizeof buf);
    }
  }
  close(fd);
  return port;
}

http_reply http_request(uint16_t port, const std::string& method, const std::string& path,
                        const std::string& body, const std::vector<std::string>& headers) {
  http_reply r;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return r;
  }
  std::ostringstream req;
  req << method << ' ' << path << " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (auto& h : headers)
    req << h << "\r\n";
  if (!body.empty())
    req << "Content-Type: application/json\r\nContent-Length: " << body.size() << "\r\n";
  req << "\r\n" << body;
  auto s = req.str();
  if (write(fd, s.data(), s.size()) != static_cast<ssize_t>(s.size())) {
    close(fd);
    return r;
  }
  std::string all;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    all.append(buf, static_cast<size_t>(n));
  close(fd);
  if (all.compare(0, 5, "HTTP/") != 0)
    return r;
  r.status = std::atoi(all.c_str() + all.find(' ') + 1);
  auto sep = all.find("\r\n\r\n");
  if (sep != std::string::npos)
    r.body = all.substr(sep + 4);
  auto head = all.substr(0, sep);
  for (auto at = head.find("\r\n"); at != std::string::npos;) {
    auto next = head.find("\r\n", at + 2);
    auto line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto name = line.substr(0, colon);
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
    }
    at = next;
  }
  return r;
}

nlohmann::json get_json(uint16_t port, const std::string& path) {
  auto r = http_request(port, "GET", path);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

uint16_t free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  if (port == 0)
    throw std::runtime_error("no free loopback port");
  return port;
}

std::string temp_dir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

uint16_t start_sim(const std::string& dir, const std::vector<std::string>& flags, child& sim) {
  std::vector<std::string> argv{SB_SIM_BIN, "--listen", "127.0.0.1:0", "--port-file",
                                dir + "/sim.port"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  sim = child(argv, dir + "/sim.log");
  auto port = wait_port_file(dir + "/sim.port", std::chrono::seconds{20});
  if (!port)
    throw std::runtime_error("simulator did not start; see " + dir + "/sim.log");
  return *port;
}

stack::stack(const std::vector<std::string>& sim_flags, const std::vector<std::string>& sets,
             const std::vector<std::string>& extra_env)
  : dir(temp_dir("sb-it")) {
  sim_port = start_sim(dir, sim_flags, sim);
  auto p = std::to_string(sim_port);
  std::vector<std::string> nargv{SB_NODE_BIN,
                                 "node",
                                 "--port-file",
                                 dir + "/node.port",
                                 "--http-port-file",
                                 dir + "/http.port",
                                 "--set",
                                 "node.listen=127.0.0.1:0",
                                 "--set",
                                 "node.cluster_listen=127.0.0.1:0",
                                 "--set",
                                 "stt.url=ws://127.0.0.1:" + p,
                                 "--set",
                                 "llm.url=http://127.0.0.1:" + p + "/v1",
                                 "--set",
                                 "tts.url=http://127.0.0.1:" + p,
                                 "--set",
                                 "store.transcripts=sqlite:" + dir + "/transcripts.db"};
  for (auto s : sets) {
    for (auto at = s.find("{sim_port}"); at != std::string::npos; at = s.find("{sim_port}"))
      s.replace(at, 10, p);
    for (auto at = s.find("{dir}"); at != std::string::npos; at = s.find("{dir}"))
      s.replace(at, 5, dir);
    nargv.push_back("--set");
    nargv.push_back(s);
  }
  std::vector<std::string> env{"DEEPGRAM_API_KEY=test-dg", "OPENAI_API_KEY=test-oa",
                               "ELEVENLABS_API_KEY=test-el"};
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  node = child(nargv, dir + "/node.log", env);
  auto np = wait_port_file(dir + "/node.port", std::chrono::seconds{20});
  if (!np)
    throw std::runtime_error("node did not start; see " + dir + "/node.log");
  node_port = *np;
}

uint16_t stack::http_port() const {
  // Written right after node.port, which the constructor has seen.
  auto p = wait_port_file(dir + "/http.port", std::chrono::seconds{5});
  return p ? *p : 0;
}

std::string stack::node_log() const {
  std::ifstream f(dir + "/node.log");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

} // namespace sb::test
