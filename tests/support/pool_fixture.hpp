// The pool test fixture: a pool on CAF's test coordinator, virtual time.
#pragma once

#include <catch2/catch.hpp>

#include <deque>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/pool_actor.hpp"
#include "tests/support/virtual_time.hpp"
#include "messages/pool.hpp"
#include "messages/pool_cluster.hpp"
#include "messages/register.hpp"

using namespace std::chrono_literals;
using sb::lease_outcome;
using sb::pool_errc;

namespace {

constexpr auto ns1 = std::chrono::nanoseconds{1};

sb::pool_config base_config(uint32_t max_active = 2) {
  sb::pool_config c;
  c.name = "test-pool";
  c.kind = sb::provider_kind::stt;
  c.keys = {"k0"};
  c.max_active = max_active;
  c.max_queue = 10;
  c.queue_timeout = std::chrono::milliseconds{30000};
  return c;
}

// `up` without `x`.
inline std::vector<std::string> others(const std::vector<std::string>& up,
                                       const std::string& x) {
  std::vector<std::string> out;
  for (auto& n : up)
    if (n != x)
      out.push_back(n);
  return out;
}

struct fixture : sb::test::virtual_time_system {
  caf::scoped_actor self;
  std::deque<caf::scoped_actor> clients;
  std::vector<sb::pool_actor> pools;

  fixture() : self(sys, true) {}

  ~fixture() {
    clients.clear();
    for (auto& p : pools)
      self->send_exit(p, caf::exit_reason::user_shutdown);
    sched.run();
  }

  sb::pool_actor spawn(sb::pool_config c) {
    REQUIRE(sb::validate(c).empty());
    auto p = sb::spawn_pool(sys, std::move(c));
    sched.run();
    pools.push_back(p);
    return p;
  }

  caf::scoped_actor& client() {
    clients.emplace_back(sys, true);
    return clients.back();
  }

  auto acquire(caf::scoped_actor& who, const sb::pool_actor& p, uint64_t ticket,
               caf::timespan deadline = caf::timespan{0}, uint32_t est_tokens = 0) {
    auto h = who->request(p, caf::infinite, sb::pool_acquire{ticket, deadline, est_tokens});
    sched.run();
    return h;
  }

  // Whether a reply waits in the requester's mailbox.
  bool answered(caf::scoped_actor& who) {
    sched.run();
    return !who->mailbox().empty();
  }

  template <class Handle>
  sb::pool_lease lease_of(caf::scoped_actor& who, Handle& h) {
    REQUIRE(answered(who));
    sb::pool_lease out;
    h.receive([&](sb::pool_lease& l) { out = l; },
              [&](caf::error& e) { FAIL("expected a lease, got " << sys.render(e)); });
    return out;
  }

  template <class Handle>
  caf::error error_of(caf::scoped_actor& who, Handle& h) {
    REQUIRE(answered(who));
    caf::error out;
    h.receive([&](sb::pool_lease& l) { FAIL("expected an error, got lease " << l.id); },
              [&](caf::error& e) { out = e; });
    return out;
  }

  void release(caf::scoped_actor& who, const sb::pool_actor& p, uint64_t lease,
               lease_outcome outcome = lease_outcome::ok, int64_t used_tokens = -1,
               int64_t retry_after_ms = -1, int64_t latency_ms = -1) {
    who->send(p, sb::pool_release{lease, used_tokens, outcome, retry_after_ms, latency_ms});
    sched.run();
  }

  void cancel(caf::scoped_actor& who, const sb::pool_actor& p, uint64_t ticket) {
    who->send(p, sb::pool_cancel{ticket});
    sched.run();
  }

  // The lease ids revoked at this client so far (pool_revoke_atom in its mailbox).
  std::vector<uint64_t> revoked(caf::scoped_actor& who) {
    sched.run();
    std::vector<uint64_t> out;
    while (!who->mailbox().empty())
      who->receive([&](sb::pool_revoke_atom, uint64_t id) { out.push_back(id); },
                   [&](caf::message& m) { FAIL("unexpected " << caf::to_string(m)); });
    return out;
  }

  // Steps until `pred` holds (at most `limit`); returns the time it took.
  template <class Pred>
  caf::timespan until(Pred pred, caf::timespan limit, caf::timespan by = 50ms) {
    caf::timespan t{0};
    while (!pred() && t < limit) {
      advance(by);
      t += by;
    }
    return t;
  }

  sb::pool_stats stats(const sb::pool_actor& p) {
    auto h = self->request(p, caf::infinite, caf::get_atom_v);
    sched.run();
    sb::pool_stats out;
    h.receive([&](sb::pool_stats& s) { out = std::move(s); },
              [&](caf::error& e) { FAIL("stats failed: " << sys.render(e)); });
    return out;
  }

  // One acquire + release cycle with the given outcome.
  void cycle(const sb::pool_actor& p, lease_outcome outcome, int64_t latency_ms = -1,
             int64_t retry_after_ms = -1) {
    auto& c = client();
    auto h = acquire(c, p, 1);
    auto l = lease_of(c, h);
    release(c, p, l.id, outcome, -1, retry_after_ms, latency_ms);
  }

  void advance(caf::timespan d) {
    sched.advance_time(d);
    sched.run();
  }
};

} // namespace
