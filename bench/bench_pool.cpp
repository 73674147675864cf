// Benchmarks of the provider pool (actors/pool_actor.hpp) in one process, on CAF's real
// scheduler (default policy, scheduler.max-threads = 2 unless --threads):
//   roundtrip  N sequential acquire -> lease -> release cycles from one event-based actor
//              against a pool with free capacity: latency per cycle (steady_clock), cycles/s;
//   grants     max_active = 1, W waiters queued behind a lease main holds; main releases it
//              and every grant is released at once by its holder: enqueue time, grants/s;
//   memory     RSS growth while W waiters are parked (long deadline), per waiter; then all
//              cancel.
// Waiters are W actors with one acquire each, as call actors are (pre-spawned, untimed). One
// actor with W outstanding requests would measure CAF, not the pool: 0.17 keeps an actor's
// pending responses in an unsorted vector (detail::unordered_flat_map), O(W) per request
// and per reply. Every request carries a timeout (deadline + 1 s), as the protocol asks.
// JSON on stdout, human-readable lines on stderr; a failed check exits non-zero.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/pool_actor.hpp"
#include "actors/pool_state.hpp"
#include "messages/pool.hpp"
#include "messages/register.hpp"

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

namespace {

using go_atom = caf::atom_constant<caf::atom("bgo")>;          // waiter: acquire now
using give_up_atom = caf::atom_constant<caf::atom("bgiveup")>;  // waiter: cancel

struct options {
  std::string scenario = "all";
  size_t n = 100000, warmup = 1000, waiters = 10000, mem_waiters = 100000, threads = 2;
  bool fanout = false;
};

constexpr caf::timespan deadline{60s};  // nothing expires during a run
const caf::duration req_timeout{61s};   // deadline + margin

sb::pool_config pool_cfg(uint32_t max_active, size_t max_queue) {
  sb::pool_config c;
  c.name = "bench";
  c.keys = {"k0"};
  c.max_active = max_active;
  c.max_queue = static_cast<uint32_t>(max_queue);
  c.queue_timeout = std::chrono::milliseconds{60000};
  return c;
}

sb::pool_release released(uint64_t lease) { return {lease, -1, sb::lease_outcome::ok, -1, -1}; }

// VmRSS in KiB, after malloc_trim has handed free heap pages of all arenas back to the OS
// (freed mailbox elements are not memory held by waiters).
long rss_kb() {
  malloc_trim(0);
  std::ifstream in{"/proc/self/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

double us(clk::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }
double ms(clk::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// What actors report to main: one-shot signals with their time, and the first error.
struct shared {
  struct signal {
    std::promise<void> p;
    std::future<void> f = p.get_future();
    clk::time_point at;
    void fire() { at = clk::now(), p.set_value(); }  // once
  };
  std::mutex mtx;
  std::string error;
  std::atomic<bool> failed{false};
  void fail(const std::string& what) {
    std::lock_guard<std::mutex> guard{mtx};
    if (!failed)
      error = what, failed = true;
  }
  // A failure or 60 s without `s` ends the program: ~actor_system would wait for stuck actors.
  void wait(signal& s, const char* what) {
    for (auto end = clk::now() + 60s; s.f.wait_for(10ms) != std::future_status::ready;)
      if (failed || clk::now() > end) {
        std::fprintf(stderr, "%s: %s\n", what, failed ? error.c_str() : "no result in 60 s");
        std::_Exit(2);
      }
  }
};

// Each scenario runs in an actor system of its own.
caf::actor_system_config& setup(caf::actor_system_config& cfg, size_t threads) {
  cfg.set("scheduler.max-threads", threads);
  sb::register_types(cfg);
  return cfg;
}

// -- roundtrip -------------------------------------------------------------------------

struct rt_run : shared {
  std::vector<clk::duration> cycles;
  signal done;
  clk::time_point t0, t1;  // start and end of the timed cycles
  sb::pool_stats stats;    // asked after the last release (same sender: in order)
};

void cycle(caf::event_based_actor* self, sb::pool_actor pool, std::shared_ptr<rt_run> r,
           size_t i, size_t warmup, size_t total) {
  auto fail = [=](caf::error& e) { r->fail(self->system().render(e)); };
  if (i == total) {
    r->t1 = clk::now();
    self->request(pool, req_timeout, caf::get_atom_v).then([=](sb::pool_stats& s) {
      r->stats = std::move(s);
      r->done.fire();
      self->quit();
    }, fail);
    return;
  }
  if (i == warmup)
    r->t0 = clk::now();
  auto start = clk::now();
  self->request(pool, req_timeout, sb::pool_acquire{i + 1, deadline, 0})
    .then([=](sb::pool_lease& l) {
            self->send(pool, released(l.id));
            if (i >= warmup)
              r->cycles.push_back(clk::now() - start);
            cycle(self, pool, r, i + 1, warmup, total);
          }, fail);
}

// -- grants and memory: a crowd of waiters ---------------------------------------------

struct crowd : shared {
  size_t w = 0;
  bool relay = true;  // waiters pass go / give-up on to the next (else main tells them all)
  std::atomic<size_t> ready{0}, sent{0}, answered{0};
  signal all_ready, parked, all_answered;
  // Results for main.
  double enqueue_ms = 0, drain_ms = 0;  // drain: all granted (grants) or cancelled (memory)
  long rss_before = 0, rss_after = 0;
  sb::pool_stats stats;
  std::string check_error;
};

// A stand-in for a call actor. On go: one acquire (ticket 1), then go to `next`; a lease is
// released at once. On give-up: cancel; once `cancelled` is back, give-up to `next` (so the
// pool never answers a crowd at once). Lives until main stops it.
caf::behavior waiter(caf::event_based_actor* self, sb::pool_actor pool,
                     std::shared_ptr<crowd> c, caf::actor next) {
  if (++c->ready == c->w)
    c->all_ready.fire();
  auto answered = [c] {
    if (++c->answered == c->w)
      c->all_answered.fire();
  };
  return {
    [=](go_atom) {
      self->request(pool, req_timeout, sb::pool_acquire{1, deadline, 0})
        .then([=](sb::pool_lease& l) { self->send(pool, released(l.id)), answered(); },
              [=](caf::error& e) {
                if (e != sb::make_error(sb::pool_errc::cancelled))
                  return c->fail("waiter: " + self->system().render(e));
                answered();
                if (c->relay && next)
                  self->send(next, give_up_atom::value);
              });
      if (c->relay && next)
        self->send(next, go_atom::value);
      // The last waiter to send follows up with a duplicate of its ticket. A mailbox is one
      // FIFO, so the pool's immediate duplicate_ticket answer means all w acquires are in.
      if (++c->sent == c->w)
        self->request(pool, req_timeout, sb::pool_acquire{1, deadline, 0})
          .then([=](sb::pool_lease&) { c->fail("duplicate ticket granted"); },
                [=](caf::error& e) {
                  if (e != sb::make_error(sb::pool_errc::duplicate_ticket))
                    return c->fail("sentinel: " + self->system().render(e));
                  c->parked.fire();
                });
    },
    [=](give_up_atom) { self->send(pool, sb::pool_cancel{1}); },
  };
}

// A pool with max_active 1 whose lease main holds, and w idle waiters; go to all, wait until
// they are parked; then release the held lease (grants: grant -> release runs through all w)
// or have every waiter cancel (memory).
std::shared_ptr<crowd> run_crowd(const options& opt, size_t w, bool drain_by_grants) {
  caf::actor_system_config cfg;
  caf::actor_system sys{setup(cfg, opt.threads)};
  caf::scoped_actor self{sys, true};
  auto c = std::make_shared<crowd>();
  c->w = w;
  c->relay = !opt.fanout;
  auto pool = sb::spawn_pool(sys, pool_cfg(1, w));
  auto ask = [&](auto msg, auto on_value) {
    self->request(pool, req_timeout, msg).receive(on_value, [&](caf::error& e) {
      c->fail(sys.render(e));
    });
  };
  uint64_t held = 0;
  ask(sb::pool_acquire{0, deadline, 0}, [&](sb::pool_lease& l) { held = l.id; });
  std::vector<caf::actor> all;  // all[i] relays to all[i - 1]
  all.reserve(w);
  for (size_t i = 0; i < w; ++i)
    all.push_back(sys.spawn(waiter, pool, c, i > 0 ? all.back() : caf::actor{}));
  c->wait(c->all_ready, "spawn");
  auto tell = [&](auto what) {  // the chain's head, or everyone
    for (size_t i = w; i-- > 0 && (i == w - 1 || !c->relay);)
      caf::anon_send(all[i], what);
  };
  c->rss_before = rss_kb();
  auto t0 = clk::now();
  tell(go_atom::value);
  c->wait(c->parked, "enqueue");
  c->enqueue_ms = ms(c->parked.at - t0);
  c->rss_after = rss_kb();
  ask(caf::get_atom_v, [&](sb::pool_stats& s) {
    if (s.queued != w)
      c->check_error = "queued " + std::to_string(s.queued) + " instead of " + std::to_string(w);
  });
  auto t2 = clk::now();
  if (drain_by_grants)
    self->send(pool, released(held));
  else
    tell(give_up_atom::value);
  c->wait(c->all_answered, drain_by_grants ? "grants" : "cancel");
  c->drain_ms = ms(c->all_answered.at - t2);
  if (!drain_by_grants)
    self->send(pool, released(held));
  ask(caf::get_atom_v, [&](sb::pool_stats& s) { c->stats = std::move(s); });
  for (auto& a : all)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
  return c;
}

// Bytes malloc hands out for a request of n bytes (glibc, 64-bit).
size_t chunk(size_t n) { return std::max<size_t>(32, (n + 8 + 15) / 16 * 16); }

std::string num(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

const char* usage =
  "bench_pool [--scenario all|roundtrip|grants|memory] [--n N] [--warmup N]\n"
  "           [--waiters W] [--mem-waiters W] [--threads T] [--fanout]\n"
  "  --n            timed acquire+release round trips (default 100000)\n"
  "  --warmup       untimed round trips before them (default 1000)\n"
  "  --waiters      waiter actors queued and drained in grants (default 10000)\n"
  "  --mem-waiters  waiter actors parked in memory (default 100000)\n"
  "  --threads      scheduler.max-threads (default 2)\n"
  "  --fanout       main sends go/give-up to every waiter at once (default: each waiter\n"
  "                 passes it on, so W actors are never ready at once; give-up only once\n"
  "                 its cancel is answered: the cancels run one after the other)\n"
  "JSON results on stdout, human-readable lines on stderr.\n";

} // namespace

int main(int argc, char** argv) {
  options opt;
  std::pair<std::string, size_t*> sizes[] = {{"--n", &opt.n}, {"--warmup", &opt.warmup},
    {"--waiters", &opt.waiters}, {"--mem-waiters", &opt.mem_waiters},
    {"--threads", &opt.threads}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], v = i + 1 < argc ? argv[i + 1] : "";
    auto size = std::find_if(std::begin(sizes), std::end(sizes),
                             [&](auto& s) { return a == s.first; });
    if (a == "--fanout")
      opt.fanout = true;
    else if (a == "--scenario" && ++i)
      opt.scenario = v;
    else if (size != std::end(sizes) && ++i)
      *size->second = std::strtoul(v.c_str(), nullptr, 10);
    else
      return std::fputs(usage, stderr), a == "--help" || a == "-h" ? 0 : 1;
  }
  auto want = [&](const char* s) { return opt.scenario == "all" || opt.scenario == s; };
  if ((!want("roundtrip") && !want("grants") && !want("memory")) || opt.n == 0
      || opt.waiters == 0 || opt.mem_waiters == 0 || opt.threads == 0)
    return std::fputs(usage, stderr), 1;
  std::string json;
  auto add = [&](const std::string& k, const std::string& v) {
    json += (json.empty() ? "\"" : ",\"") + k + "\":" + v;
  };
  bool ok = true;
  auto check = [&](bool good, const char* what, const std::string& err) {
    if (!good || !err.empty())
      std::fprintf(stderr, "%s: check on the pool's stats failed %s\n", what, err.c_str());
    ok &= good && err.empty();
  };

  // Memory first, while the heap holds nothing freed by the other scenarios.
  if (want("memory")) {
    size_t w = opt.mem_waiters;
    auto r = run_crowd(opt, w, false);
    double per = (r->rss_after - r->rss_before) * 1024.0 / w;
    using queue_node = std::pair<const uint64_t, sb::pool_state::waiter>;
    using ticket_node = std::pair<const sb::pool_state::ticket_key, sb::pool_state::ticket_ref>;
    using watch_node = std::pair<const caf::actor_addr, uint32_t>;
    size_t hdr = 32;  // std::map node header (libstdc++): colour + 3 pointers
    size_t own = chunk(hdr + sizeof(queue_node)) + chunk(hdr + sizeof(ticket_node))
                 + chunk(hdr + sizeof(watch_node));
    std::fprintf(stderr, "memory: %zu waiters parked: RSS %ld -> %ld KiB = %.0f bytes/waiter "
                 "(the pool's map nodes: %zu); enqueue %.1f ms, all cancelled in %.1f ms\n",
                 w, r->rss_before, r->rss_after, per, own, r->enqueue_ms, r->drain_ms);
    check(r->stats.queued == 0 && r->stats.cancelled == w && r->stats.active == 0, "memory",
          r->check_error);
    add("memory_waiters", std::to_string(w));
    add("memory_per_waiter_bytes", num(per, 0));
    add("pool_map_nodes_per_waiter_bytes", std::to_string(own));
    add("memory_enqueue_ms", num(r->enqueue_ms, 1));
    add("cancel_all_ms", num(r->drain_ms, 1));
  }

  if (want("roundtrip")) {
    auto r = std::make_shared<rt_run>();
    r->cycles.reserve(opt.n);
    caf::actor_system_config cfg;
    caf::actor_system sys{setup(cfg, opt.threads)};
    auto pool = sb::spawn_pool(sys, pool_cfg(20, 100));
    sys.spawn([=, warmup = opt.warmup, total = opt.warmup + opt.n](caf::event_based_actor* s) {
      cycle(s, pool, r, 0, warmup, total);
      return caf::behavior{};
    });
    r->wait(r->done, "roundtrip");
    caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
    auto& c = r->cycles;
    std::sort(c.begin(), c.end());
    auto pct = [&](double p) { return us(c[std::min(c.size() - 1, size_t(p * c.size()))]); };
    double mean = us(r->t1 - r->t0) / opt.n, rate = 1e6 / mean;
    std::fprintf(stderr, "roundtrip: %zu cycles (+%zu warm-up): p50 %.2f, p90 %.2f, p99 %.2f, "
                 "max %.1f, mean %.2f us = %.0f cycles/s\n", opt.n, opt.warmup, pct(0.5),
                 pct(0.9), pct(0.99), us(c.back()), mean, rate);
    check(r->stats.acquired == opt.n + opt.warmup && r->stats.released == r->stats.acquired,
          "roundtrip", r->error);
    add("round_trip_us", "{\"p50\":" + num(pct(0.5), 2) + ",\"p90\":" + num(pct(0.9), 2) +
                           ",\"p99\":" + num(pct(0.99), 2) + ",\"max\":" +
                           num(us(c.back()), 1) + ",\"mean\":" + num(mean, 2) + "}");
    add("round_trips_per_s", num(rate, 0));
  }

  if (want("grants")) {
    size_t w = opt.waiters;
    auto r = run_crowd(opt, w, true);
    double rate = w / (r->drain_ms / 1e3);
    std::fprintf(stderr, "grants: %zu waiters enqueued in %.1f ms, drained in %.1f ms = %.0f "
                 "grants/s\n", w, r->enqueue_ms, r->drain_ms, rate);
    check(r->stats.acquired == w + 1 && r->stats.queued == 0, "grants", r->check_error);
    add("waiters", std::to_string(w));
    add("enqueue_ms", num(r->enqueue_ms, 1));
    add("grants_per_s", num(rate, 0));
  }

  std::printf("{%s}\n", json.c_str());
  return ok ? 0 : 1;
}
