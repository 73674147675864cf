#include "tests/support/link_proxy.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sb::test {

namespace {

constexpr size_t buffer_cap = 256 * 1024;
using pair_key = std::pair<std::string, std::string>;

pair_key key_of(const std::string& a, const std::string& b) {
  return a < b ? pair_key{a, b} : pair_key{b, a};
}

void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Closes with an RST instead of a FIN (SO_LINGER with a zero timeout).
void reset_close(int fd) {
  if (fd < 0)
    return;
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

std::string proc_address(const sockaddr_in& a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08X:%04X", a.sin_addr.s_addr, ntohs(a.sin_port));
  return buf;
}

// The inode of the client socket of an accepted loopback connection: the row of
// /proc/net/tcp whose local address is the peer's and whose remote address is ours.
unsigned long peer_inode(int fd) {
  sockaddr_in peer{}, self{};
  socklen_t n = sizeof peer;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &n) != 0)
    return 0;
  n = sizeof self;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&self), &n) != 0)
    return 0;
  auto local = proc_address(peer), remote = proc_address(self);
  std::ifstream f("/proc/net/tcp");
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string sl, l, r, st, queues, timer, retr, uid, timeout;
    unsigned long inode = 0;
    in >> sl >> l >> r >> st >> queues >> timer >> retr >> uid >> timeout >> inode;
    if (l == local && r == remote)
      return inode;
  }
  return 0;
}

bool owns_socket(int pid, unsigned long inode) {
  auto dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d)
    return false;
  auto want = "socket:[" + std::to_string(inode) + "]";
  bool found = false;
  while (auto* e = readdir(d)) {
    char target[64] = {0};
    auto path = dir + "/" + e->d_name;
    auto len = readlink(path.c_str(), target, sizeof target - 1);
    if (len > 0 && want == std::string(target, static_cast<size_t>(len))) {
      found = true;
      break;
    }
  }
  closedir(d);
  return found;
}

} // namespace

struct link_proxy::impl {
  struct front_t {
    std::string name;
    int fd = -1;
    uint16_t port = 0;
    std::string host;
    uint16_t target_port = 0;
    int pid = 0;
  };
  struct conn {
    int a = -1;  // accepted: the connecting node's side
    int b = -1;  // to the target node; -1 while held
    std::string src = "?", dst;
    std::string ab, ba;  // bytes waiting to go a -> b and b -> a
    bool dead = false;
  };

  std::mutex m;
  std::condition_variable cv;
  uint64_t wanted = 0, applied = 0;
  bool stop = false;
  int wake[2] = {-1, -1};
  std::vector<front_t> fronts;
  std::vector<std::unique_ptr<conn>> conns;
  std::map<std::string, link_mode> node_modes;
  std::map<pair_key, link_mode> link_modes;
  std::map<pair_key, int> counts;
  std::map<pair_key, uint64_t> byte_counts;

  link_mode mode_of(const conn& c) const {
    auto worst = link_mode::pass;
    auto take = [&](link_mode x) {
      if (static_cast<int>(x) > static_cast<int>(worst))
        worst = x;
    };
    if (auto i = node_modes.find(c.src); i != node_modes.end())
      take(i->second);
    if (auto i = node_modes.find(c.dst); i != node_modes.end())
      take(i->second);
    if (auto i = link_modes.find(key_of(c.src, c.dst)); i != link_modes.end())
      take(i->second);
    return worst;
  }

  front_t* front_named(const std::string& name) {
    for (auto& f : fronts)
      if (f.name == name)
        return &f;
    return nullptr;
  }

  void kill(conn& c, bool rst) {
    if (rst) {
      reset_close(c.a);
      reset_close(c.b);
    } else {
      if (c.a >= 0)
        close(c.a);
      if (c.b >= 0)
        close(c.b);
    }
    c.a = c.b = -1;
    c.dead = true;
  }

  void connect_upstream(conn& c) {
    auto* f = front_named(c.dst);
    if (!f || f->target_port == 0)
      return;  // held until the target is known
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(f->target_port);
    inet_pton(AF_INET, f->host.c_str(), &to.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      close(fd);
      kill(c, true);  // the node is gone: as a refused connection would look
      return;
    }
    set_nonblocking(fd);
    c.b = fd;
  }

  std::string owner_of(int fd) {
    auto inode = peer_inode(fd);
    if (inode == 0)
      return "?";
    for (auto& f : fronts)
      if (f.pid > 0 && owns_socket(f.pid, inode))
        return f.name;
    return "?";
  }

  void on_accept(front_t& f) {
    int fd = accept(f.fd, nullptr, nullptr);
    if (fd < 0)
      return;
    set_nonblocking(fd);
    auto c = std::make_unique<conn>();
    c->a = fd;
    c->dst = f.name;
    c->src = owner_of(fd);
    ++counts[key_of(c->src, c->dst)];
    auto mode = mode_of(*c);
    if (mode == link_mode::reset)
      kill(*c, true);
    else if (mode == link_mode::pass)
      connect_upstream(*c);
    conns.push_back(std::move(c));
  }

  // Applies the current modes to every connection.
  void enforce() {
    for (auto& c : conns) {
      if (c->dead)
        continue;
      if (c->src == "?") {
        // Opened before its node's pid was known (a node joins while it starts).
        auto src = owner_of(c->a);
        if (src != "?") {
          --counts[key_of(c->src, c->dst)];
          ++counts[key_of(src, c->dst)];
          c->src = src;
        }
      }
      auto mode = mode_of(*c);
      if (mode == link_mode::reset)
        kill(*c, true);
      else if (mode == link_mode::pass && c->b < 0)
        connect_upstream(*c);
    }
  }

  // Moves bytes from `from` into `buf`; false when the connection ended.
  bool read_into(conn& c, int from, std::string& buf) {
    char tmp[65536];
    auto n = read(from, tmp, sizeof tmp);
    if (n > 0) {
      buf.append(tmp, static_cast<size_t>(n));
      byte_counts[key_of(c.src, c.dst)] += static_cast<uint64_t>(n);
      return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return true;
    kill(c, n < 0);  // EOF: close both; an error (RST): reset the other side too
    return false;
  }

  bool write_from(conn& c, int to, std::string& buf) {
    auto n = write(to, buf.data(), buf.size());
    if (n >= 0) {
      buf.erase(0, static_cast<size_t>(n));
      return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return true;
    kill(c, true);
    return false;
  }

  void run() {
    std::unique_lock<std::mutex> lock{m};
    while (!stop) {
      std::vector<pollfd> fds{{wake[0], POLLIN, 0}};
      std::vector<front_t*> fs;
      for (auto& f : fronts) {
        fds.push_back({f.fd, POLLIN, 0});
        fs.push_back(&f);
      }
      std::vector<conn*> cs;
      for (auto& c : conns) {
        if (c->dead || c->b < 0 || mode_of(*c) != link_mode::pass)
          continue;
        short ea = (c->ab.size() < buffer_cap ? POLLIN : 0) | (c->ba.empty() ? 0 : POLLOUT);
        short eb = (c->ba.size() < buffer_cap ? POLLIN : 0) | (c->ab.empty() ? 0 : POLLOUT);
        fds.push_back({c->a, ea, 0});
        fds.push_back({c->b, eb, 0});
        cs.push_back(c.get());
      }
      lock.unlock();
      poll(fds.data(), fds.size(), 1000);
      lock.lock();
      if (fds[0].revents & POLLIN) {
        char drain[64];
        while (read(wake[0], drain, sizeof drain) > 0) {
        }
      }
      for (size_t i = 0; i < fs.size(); ++i)
        if (fds[1 + i].revents & POLLIN)
          on_accept(*fs[i]);
      size_t base = 1 + fs.size();
      for (size_t i = 0; i < cs.size(); ++i) {
        auto& c = *cs[i];
        auto ra = fds[base + 2 * i].revents, rb = fds[base + 2 * i + 1].revents;
        bool ok = true;
        if (ok && (ra & (POLLIN | POLLHUP | POLLERR)))
          ok = read_into(c, c.a, c.ab);
        if (ok && (rb & (POLLIN | POLLHUP | POLLERR)))
          ok = read_into(c, c.b, c.ba);
        if (ok && !c.ab.empty() && (rb & POLLOUT))
          ok = write_from(c, c.b, c.ab);
        if (ok && !c.ba.empty() && (ra & POLLOUT))
          ok = write_from(c, c.a, c.ba);
      }
      conns.erase(std::remove_if(conns.begin(), conns.end(),
                                 [](const std::unique_ptr<conn>& c) { return c->dead; }),
                  conns.end());
      if (applied < wanted) {
        enforce();
        applied = wanted;
        cv.notify_all();
      }
    }
    for (auto& c : conns)
      kill(*c, false);
    for (auto& f : fronts)
      close(f.fd);
  }
};

link_proxy::link_proxy() : d_(std::make_unique<impl>()) {
  if (pipe(d_->wake) != 0)
    throw std::runtime_error("link_proxy: pipe failed");
  set_nonblocking(d_->wake[0]);
  loop_ = std::thread([this] { d_->run(); });
}

link_proxy::~link_proxy() {
  {
    std::lock_guard<std::mutex> g{d_->m};
    d_->stop = true;
  }
  if (write(d_->wake[1], "x", 1) < 0) {
  }
  loop_.join();
  close(d_->wake[0]);
  close(d_->wake[1]);
}

void link_proxy::apply() {
  std::unique_lock<std::mutex> lock{d_->m};
  auto gen = ++d_->wanted;
  if (write(d_->wake[1], "x", 1) < 0) {
  }
  d_->cv.wait(lock, [&] { return d_->applied >= gen; });
}

uint16_t link_proxy::front(const std::string& name) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 64) != 0
      || getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0) {
    close(fd);
    throw std::runtime_error("link_proxy: cannot listen on loopback");
  }
  set_nonblocking(fd);
  {
    std::lock_guard<std::mutex> g{d_->m};
    impl::front_t f;
    f.name = name;
    f.fd = fd;
    f.port = ntohs(a.sin_port);
    d_->fronts.push_back(f);
  }
  apply();
  return ntohs(a.sin_port);
}

void link_proxy::target(const std::string& name, const std::string& host, uint16_t port,
                        int pid) {
  {
    std::lock_guard<std::mutex> g{d_->m};
    auto* f = d_->front_named(name);
    if (!f)
      throw std::runtime_error("link_proxy: no front for " + name);
    f->host = host;
    f->target_port = port;
    f->pid = pid;
  }
  apply();
}

void link_proxy::set_node(const std::string& name, link_mode m) {
  {
    std::lock_guard<std::mutex> g{d_->m};
    d_->node_modes[name] = m;
  }
  apply();
}

void link_proxy::set_link(const std::string& a, const std::string& b, link_mode m) {
  {
    std::lock_guard<std::mutex> g{d_->m};
    d_->link_modes[key_of(a, b)] = m;
  }
  apply();
}

int link_proxy::connections(const std::string& a, const std::string& b) {
  std::lock_guard<std::mutex> g{d_->m};
  auto i = d_->counts.find(key_of(a, b));
  return i == d_->counts.end() ? 0 : i->second;
}

uint64_t link_proxy::bytes(const std::string& a, const std::string& b) {
  std::lock_guard<std::mutex> g{d_->m};
  auto i = d_->byte_counts.find(key_of(a, b));
  return i == d_->byte_counts.end() ? 0 : i->second;
}

} // namespace sb::test
