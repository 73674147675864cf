// Renewal traffic on the wire: two actor systems ("nodes") in one process, connected
// through CAF's middleman over loopback TCP via a byte-counting relay, each with a pool
// front using the production lease settings (lease_ttl 10 s, renewal every 1 s, margin
// 2 s). The node that is not the pool's home takes LEASES leases and holds them; for
// SECONDS the relay counts the bytes each way and the bursts (100 ms buckets with more
// than 64 bytes towards the home: one batched pool_renew each). The same window with no
// lease held first gives the link's own traffic: nothing, as CAF's BASP heartbeat is off
// here (a node also sends its membership heartbeat and CAF's link heartbeat every
// [cluster] heartbeat_interval, not counted). Results: docs/benchmarks.md,
// bench/results/renewal-traffic.jsonl.
//
//   bench_renewal_traffic [LEASES] [SECONDS]     (default 1000 leases, 10 s)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/pool_front.hpp"
#include "messages/pool_cluster.hpp"
#include "messages/register.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

// A TCP relay on 127.0.0.1: every connection to its port is forwarded to `target`;
// counts bytes each way and keeps a per-100 ms count of the bytes towards the target.
class relay {
public:
  explicit relay(uint16_t target) : target_(target) {
    listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_, 4);
    socklen_t n = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &n);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~relay() {
    stop_ = true;
    thread_.join();
    for (auto fd : fds_)
      ::close(fd);
    ::close(listen_);
  }
  uint16_t port() const { return port_; }
  uint64_t up() const { return up_; }      // towards the target
  uint64_t down() const { return down_; }  // back
  // Buckets (100 ms since `from`) with more than `min` bytes towards the target.
  size_t bursts(clock_type::time_point from, clock_type::time_point to, uint64_t min) {
    std::lock_guard<std::mutex> g(m_);
    std::vector<uint64_t> b(static_cast<size_t>((to - from) / std::chrono::milliseconds{100}) + 1);
    for (auto& [t, n] : log_)
      if (t >= from && t < to)
        b[static_cast<size_t>((t - from) / std::chrono::milliseconds{100})] += n;
    size_t out = 0;
    for (auto x : b)
      out += x > min ? 1 : 0;
    return out;
  }

private:
  void run() {
    std::vector<std::pair<int, int>> pairs;  // (from the client, to the target)
    char buf[65536];
    while (!stop_) {
      std::vector<pollfd> p{{listen_, POLLIN, 0}};
      for (auto& [c, t] : pairs) {
        p.push_back({c, POLLIN, 0});
        p.push_back({t, POLLIN, 0});
      }
      if (::poll(p.data(), p.size(), 50) <= 0)
        continue;
      if (p[0].revents & POLLIN) {
        int c = ::accept(listen_, nullptr, nullptr);
        int t = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(target_);
        if (c >= 0 && ::connect(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
          pairs.emplace_back(c, t);
          fds_.push_back(c);
          fds_.push_back(t);
        }
      }
      for (size_t i = 0; i < pairs.size(); ++i)
        for (int dir = 0; dir < 2; ++dir) {
          auto& q = p[1 + 2 * i + dir];
          if (!(q.revents & (POLLIN | POLLHUP)))
            continue;
          int from = dir == 0 ? pairs[i].first : pairs[i].second;
          int to = dir == 0 ? pairs[i].second : pairs[i].first;
          auto n = ::read(from, buf, sizeof buf);
          if (n <= 0)
            continue;
          for (ssize_t off = 0; off < n;) {
            auto w = ::write(to, buf + off, static_cast<size_t>(n - off));
            if (w <= 0)
              break;
            off += w;
          }
          if (dir == 0) {
            up_ += static_cast<uint64_t>(n);
            std::lock_guard<std::mutex> g(m_);
            log_.emplace_back(clock_type::now(), static_cast<uint64_t>(n));
          } else {
            down_ += static_cast<uint64_t>(n);
          }
        }
    }
  }

  uint16_t target_;
  uint16_t port_ = 0;
  int listen_ = -1;
  std::vector<int> fds_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> up_{0}, down_{0};
  std::mutex m_;
  std::vector<std::pair<clock_type::time_point, uint64_t>> log_;
  std::thread thread_;
};

struct node {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  sb::pool_front_actor front;
  static caf::actor_system_config& prepare(caf::actor_system_config& c) {
    c.set("scheduler.max-threads", size_t{2});
    sb::register_types(c);
    c.load<caf::io::middleman>();
    return c;
  }
  node(const std::string& name, uint32_t limit) : sys(prepare(cfg)) {
    sb::pool_config pc;
    pc.name = "stt";
    pc.keys = {"k"};
    pc.max_active = limit;
    sb::pool_front_config fc{pc, 0, name, true};
    fc.lease_ttl = std::chrono::milliseconds{10000};
    fc.renew_interval = std::chrono::milliseconds{1000};
    fc.lease_margin = std::chrono::milliseconds{2000};
    front = sb::spawn_pool_front(sys, fc);
  }
};

struct window {
  double up_per_s, down_per_s;
  size_t bursts;
  double seconds;
};

window measure(relay& r, int seconds) {
  auto up0 = r.up(), down0 = r.down();
  auto t0 = clock_type::now();
  std::this_thread::sleep_for(std::chrono::seconds{seconds});  // the window (a bench)
  auto t1 = clock_type::now();
  double s = std::chrono::duration<double>(t1 - t0).count();
  return {double(r.up() - up0) / s, double(r.down() - down0) / s, r.bursts(t0, t1, 64), s};
}

} // namespace

int main(int argc, char** argv) {
  int leases = argc > 1 ? std::atoi(argv[1]) : 1000;
  int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  if (leases < 1 || seconds < 1) {
    std::fprintf(stderr, "usage: bench_renewal_traffic [LEASES >= 1] [SECONDS >= 1]\n");
    return 2;
  }
  std::string a_name = "bench-a", b_name = "bench-b";
  auto home_name = sb::pick_pool_home("stt", {a_name, b_name});
  auto holder_name = home_name == a_name ? b_name : a_name;
  auto limit = static_cast<uint32_t>(leases);
  node home{home_name, limit};
  node holder{holder_name, limit};
  auto hp = home.sys.middleman().publish(home.front, 0, "127.0.0.1", true);
  auto cp = holder.sys.middleman().publish(holder.front, 0, "127.0.0.1", true);
  if (!hp || !cp) {
    std::fprintf(stderr, "publish failed\n");
    return 1;
  }
  // Only the holder connects (through the relay); the home reaches the holder's front
  // over that same connection.
  relay r{*hp};
  auto home_remote =
    holder.sys.middleman().remote_actor<sb::pool_front_actor>("127.0.0.1", r.port());
  if (!home_remote) {
    std::fprintf(stderr, "connect failed\n");
    return 1;
  }
  {
    caf::scoped_actor s{home.sys, true};
    // The holder's front as the home sees it: the proxy of the connection it came over.
    s->send(home.front, sb::pool_view{home_name, {{home_name, home.front}}, false, {}});
  }
  {
    caf::scoped_actor s{holder.sys, true};
    s->send(holder.front, sb::pool_view{holder_name,
                                        {{home_name, *home_remote}, {holder_name, holder.front}},
                                        false, {}});
  }
  std::this_thread::sleep_for(std::chrono::seconds{2});  // the report, settled
  auto idle = measure(r, seconds);
  caf::scoped_actor s{holder.sys, true};
  sb::pool_actor pool = holder.front;
  for (int i = 0; i < leases; ++i) {
    bool ok = false;
    s->request(pool, std::chrono::seconds{10},
               sb::pool_acquire{static_cast<uint64_t>(i + 1), caf::timespan{0}, 0})
      .receive([&](sb::pool_lease&) { ok = true; },
               [&](caf::error& e) {
                 std::fprintf(stderr, "acquire %d failed: %s\n", i, holder.sys.render(e).c_str());
               });
    if (!ok)
      return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds{2});  // past the acquires' traffic
  auto held = measure(r, seconds);
  std::printf("no lease held:  %.0f B/s to the home, %.0f B/s back, %zu bursts in %.1f s\n",
              idle.up_per_s, idle.down_per_s, idle.bursts, idle.seconds);
  std::printf("%d leases held: %.0f B/s to the home, %.0f B/s back, %zu renewals in %.1f s "
              "(%.2f/s), %.0f B per renewal\n",
              leases, held.up_per_s, held.down_per_s, held.bursts, held.seconds,
              double(held.bursts) / held.seconds,
              held.bursts ? held.up_per_s * held.seconds / double(held.bursts) : 0.0);
  std::printf("{\"leases\":%d,\"seconds\":%.1f,\"idle_up_Bps\":%.0f,\"idle_down_Bps\":%.0f,"
              "\"up_Bps\":%.0f,\"down_Bps\":%.0f,\"renewals_per_s\":%.2f}\n",
              leases, held.seconds, idle.up_per_s, idle.down_per_s, held.up_per_s,
              held.down_per_s, double(held.bursts) / held.seconds);
  for (auto* n : {&home, &holder}) {
    caf::scoped_actor x{n->sys, true};
    x->send_exit(n->front, caf::exit_reason::user_shutdown);
  }
  return 0;
}
