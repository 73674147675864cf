// The lease test fixture (docs/design/cluster-leases.md): three nodes' pool fronts in one
// actor system on virtual time, lease_ttl 3 s, renewal every 500 ms, margin 1 s. A "link"
// proxy between a front and a home can blackhole everything (a frozen home or a
// partition: messages vanish, nothing closes); a scripted remote home answers as told.
// Used by test_pool_leases.cpp and test_pool_home_changes.cpp.
#pragma once

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/pool_front.hpp"
#include "messages/pool_cluster.hpp"
#include "tests/support/pool_fixture.hpp"

namespace {

using block_atom = caf::atom_constant<caf::atom("block")>;
using pass_atom = caf::atom_constant<caf::atom("pass")>;

constexpr auto ttl = 3000ms;
constexpr auto renew_every = 500ms;
constexpr auto margin = 1000ms;

// What a front sends to a remote home, relayed with the sender kept (delegate) while
// passing; swallowed (requests never answered) while blocked.
struct link_state {
  caf::actor target;
  bool pass = true;
  std::vector<caf::response_promise> swallowed;
};

caf::behavior link_impl(caf::stateful_actor<link_state>* self, caf::actor target) {
  self->state.target = target;
  auto relay = [self](auto&&... xs) -> caf::result<caf::message> {
    auto rp = self->make_response_promise();
    if (self->state.pass)
      rp.delegate(self->state.target, std::forward<decltype(xs)>(xs)...);
    else
      self->state.swallowed.push_back(rp);
    return caf::delegated<caf::message>{};
  };
  return {
    [=](sb::pool_home_atom a, sb::pool_acquire& r) { return relay(a, std::move(r)); },
    [=](sb::pool_home_atom a, sb::pool_release& r) { return relay(a, std::move(r)); },
    [=](sb::pool_home_atom a, sb::pool_cancel& r) { return relay(a, std::move(r)); },
    [=](sb::pool_home_atom a, sb::pool_renew& r) { return relay(a, std::move(r)); },
    [=](sb::pool_adopt& r) { return relay(std::move(r)); },
    [=](caf::get_atom g, sb::pool_home_atom a) { return relay(g, a); },
    [self](block_atom) { self->state.pass = false; },
    [self](pass_atom) { self->state.pass = true; },
  };
}

// A scripted remote home: answers reports with incarnation 7, grants under the next
// home lease epoch of `grant_epochs` (the last one repeats), renewals under the last one
// and with incarnation 7 unless told another one (put_atom); get_atom: what was given back.
struct fake_home_state {
  std::string name;
  uint64_t renew_inc = 7;
  std::vector<uint64_t> grant_epochs;
  size_t granted = 0;
  std::vector<uint64_t> released;
};

inline caf::behavior fake_home_impl(caf::stateful_actor<fake_home_state>* self, std::string name,
                             std::vector<uint64_t> grant_epochs) {
  self->state.name = std::move(name);
  self->state.grant_epochs = std::move(grant_epochs);
  return {
    [](sb::pool_adopt& a) {
      sb::pool_adopted out;
      for (size_t i = 0; i < a.leases.size(); ++i)
        out.ids.push_back(1000 + i);
      out.incarnation = 7;
      return out;
    },
    [self](sb::pool_home_atom, sb::pool_acquire& a) {
      auto& s = self->state;
      auto e = s.grant_epochs[std::min(s.granted, s.grant_epochs.size() - 1)];
      ++s.granted;
      return sb::pool_lease{100 + s.granted, a.ticket, 0, "k0", 0, e};
    },
    [self](sb::pool_home_atom, sb::pool_renew& r) {
      auto& s = self->state;
      return sb::pool_renewed{r.epoch, s.name, {}, 3000, s.grant_epochs.back(), s.renew_inc};
    },
    [self](sb::pool_home_atom, sb::pool_release& r) {
      self->state.released.push_back(r.lease_id);
    },
    [](sb::pool_home_atom, sb::pool_cancel&) {},
    [](caf::get_atom, sb::pool_home_atom) { return sb::pool_stats{}; },
    [self](caf::put_atom, uint64_t inc) { self->state.renew_inc = inc; },
    [self](caf::get_atom) { return self->state.released; },
  };
}

const std::vector<std::string> all_nodes{"n1", "n2", "n3"};

// A test double (link proxy, scripted home) standing in for a front in a view: it answers
// only what a front is sent in these tests, so the handle is cast unchecked.
sb::pool_front_actor as_front(const caf::actor& a) {
  return caf::actor_cast<sb::pool_front_actor>(a);
}

struct lease_fixture : fixture {
  std::map<std::string, sb::pool_front_actor> fronts;
  std::map<std::string, sb::pool_actor> f;
  caf::timespan elapsed{0};
  std::vector<caf::actor> links;
  std::chrono::milliseconds stall_limit{0};  // the home's dead-man switch (off)
  uint64_t next_incarnation = 1;             // each front is a process start of its own

  ~lease_fixture() {
    for (auto& l : links)
      self->send_exit(l, caf::exit_reason::kill);
    sched.run();
  }

  caf::actor make_link(const std::string& to) {
    links.push_back(sys.spawn(link_impl, caf::actor_cast<caf::actor>(fronts[to])));
    return links.back();
  }

  sb::pool_front_config config(const std::string& node) {
    sb::pool_front_config c{base_config(2), 0, node, true};
    c.lease_ttl = ttl;
    c.renew_interval = renew_every;
    c.lease_margin = margin;
    c.stall_limit = stall_limit;
    c.incarnation = next_incarnation++;
    return c;
  }

  void start(const std::vector<std::string>& nodes) {
    for (auto& n : nodes) {
      auto a = sb::spawn_pool_front(sys, config(n));
      sched.run();
      fronts[n] = a;
      f[n] = a;
      pools.push_back(f[n]);
    }
  }

  // All three started, each with all three in its view.
  void start_joined() {
    start(all_nodes);
    for (auto& n : all_nodes)
      view(n, all_nodes);
  }

  // Tells `node` that `up` are live; `via` replaces a member's front (a link proxy).
  void view(const std::string& node, const std::vector<std::string>& up,
            std::map<std::string, caf::actor> via = {}) {
    sb::pool_view v{node, {}, false, {}};
    for (auto& n : up)
      v.members.push_back(
        sb::pool_member{n, via.count(n) ? as_front(via[n]) : fronts[n]});
    self->send(fronts[node], std::move(v));
    sched.run();
  }

  sb::pool_stats stats_of(const std::string& node) {
    return stats(f[node]);
  }

  // Advances virtual time in small steps (timers fire on time, as on a real clock).
  void step(caf::timespan d, caf::timespan by = 50ms) {
    for (caf::timespan t{0}; t < d; t += by) {
      advance(by);
      elapsed += by;
    }
  }

  // Views for all three, the holder reaching the home through `link` (the home first:
  // it waits for both reports, and the holder's goes through the link).
  void connect(const std::string& home, const std::string& holder, caf::actor link) {
    view(home, all_nodes);
    for (auto& n : all_nodes)
      if (n != home && n != holder)
        view(n, all_nodes);
    view(holder, all_nodes, {{home, link}});
  }

  void with_home(const std::string& name, caf::actor home);
  std::vector<uint64_t> given_back(caf::actor home);
};

const std::vector<std::string> all{"n1", "n2", "n3"};

// A node name that is the home of "test-pool" over {it, "h"}, other than `not_this`.
inline std::string winning_name(const std::string& not_this = "") {
  for (int i = 0;; ++i) {
    auto n = "fake-" + std::to_string(i);
    if (n != not_this && sb::pick_pool_home("test-pool", {"h", n}) == n)
      return n;
  }
}

// `h` alone with `home` as the pool's home.
inline void lease_fixture::with_home(const std::string& name, caf::actor home) {
  sb::pool_view v{"h", {sb::pool_member{"h", fronts["h"]}, sb::pool_member{name, as_front(home)}},
                  false,
                  {}};
  self->send(fronts["h"], std::move(v));
  sched.run();
}

inline std::vector<uint64_t> lease_fixture::given_back(caf::actor home) {
  auto r = self->request(home, caf::infinite, caf::get_atom_v);
  sched.run();
  std::vector<uint64_t> out;
  r.receive([&](std::vector<uint64_t>& v) { out = v; },
            [&](caf::error& e) { FAIL(sys.render(e)); });
  return out;
}

} // namespace
