#include "tests/support/redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <stdexcept>

#include "tests/support/wait.hpp"

namespace sb::test {

namespace {

// A port the kernel considers free right now (bound to 0, then closed).
uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  close(fd);
  return ntohs(a.sin_port);
}

// Whether something answers PING with +PONG on `port`.
bool answers(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const char ping[] = "PING\r\n";
    char buf[16] = {0};
    ok = write(fd, ping, sizeof ping - 1) == sizeof ping - 1 && read(fd, buf, sizeof buf - 1) > 0
         && std::strncmp(buf, "+PONG", 5) == 0;
  }
  close(fd);
  return ok;
}

} // namespace

redis_server::redis_server(const std::string& d) : dir(d) {
  // The port is free when picked; another process may take it before redis binds it:
  // then redis exits and another port is tried.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port = free_port();
    restart();
    if (proc.running())
      return;
  }
  throw std::runtime_error("redis-server did not start; see " + dir + "/redis.log");
}

void redis_server::restart() {
  proc = child({SB_REDIS_BIN, "--port", std::to_string(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no"},
               dir + "/redis.log");
  wait_until([&] { return !proc.running() || answers(port); }, std::chrono::seconds{20});
}

void redis_server::stop() {
  proc.stop(SIGTERM);
}

} // namespace sb::test
