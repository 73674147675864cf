#include "actors/console/console_actor.hpp"

#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "messages/call_inspect.hpp"
#include "messages/cluster.hpp"
#include "messages/transcript.hpp"

namespace sb::console {

namespace {

using namespace std::chrono_literals;

constexpr auto ask_timeout = 5s;

struct console_state {
  static inline const char* name = "console";
  console_options o;
  cluster_actor cluster;
};

using console_actor_t = console_actor::stateful_base<console_state>;
using promise = caf::typed_response_promise<console_answer>;

console_answer answer(std::string command, std::string node) {
  console_answer a;
  a.command = std::move(command);
  a.node = std::move(node);
  return a;
}

// Runs `line` on every member that is up (this node locally) and hands the answers, by
// node name, to `done`. Nodes that fail to answer are left out.
void on_all_nodes(console_actor_t* self, const std::string& line,
                  std::function<void(std::map<std::string, console_answer>&)> done) {
  self->request(self->state.cluster, ask_timeout, cluster_view_atom_v)
    .then(
      [=](std::vector<member_info>& view) {
        auto acc = std::make_shared<std::map<std::string, console_answer>>();
        auto left = std::make_shared<size_t>(0);
        for (auto& m : view)
          *left += m.state == member_state::up ? 1 : 0;
        for (auto& m : view) {
          if (m.state != member_state::up)
            continue;
          auto name = m.name;
          auto finish = [=] {
            if (--*left == 0)
              done(*acc);
          };
          self
            ->request(self->state.cluster, ask_timeout, cluster_forward_atom_v, name,
                      console_request{line + " " + name, false})
            .then(
              [=](console_answer& a) {
                (*acc)[name] = std::move(a);
                finish();
              },
              [=](caf::error&) { finish(); });
        }
      },
      [=](caf::error&) {
        std::map<std::string, console_answer> none;
        done(none);
      });
}

// A call that is not live here: its record and transcript from this node's store.
void stored_call(console_actor_t* self, promise rp, const std::string& id) {
  auto& node = self->state.o.node;
  auto missing = [rp, id, node]() mutable {
    rp.deliver(make_error(cluster_errc::not_found, "no call '" + id + "' on " + node));
  };
  if (!self->state.o.transcripts)
    return missing();
  self->request(self->state.o.transcripts, ask_timeout, caf::get_atom_v, id)
    .then(
      [=](call_lookup& c) mutable {
        if (!c.found)
          return missing();
        auto a = answer("call", node);
        a.stored.push_back(std::move(c));
        rp.deliver(std::move(a));
      },
      [=](caf::error&) mutable { missing(); });
}

void local_calls(console_actor_t* self, promise rp, const std::string& id) {
  self->request(self->state.o.calls, ask_timeout, caf::get_atom_v)
    .then(
      [=](std::vector<call_snapshot>& calls) mutable {
        auto& node = self->state.o.node;
        if (!id.empty()) {
          for (auto& c : calls)
            if (std::to_string(c.session) == id || c.call_sid == id || c.stream_sid == id) {
              auto a = answer("call", node);
              a.calls.push_back(std::move(c));
              rp.deliver(std::move(a));
              return;
            }
          stored_call(self, rp, id);
          return;
        }
        auto a = answer("calls", node);
        a.calls = std::move(calls);
        rp.deliver(std::move(a));
      },
      [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
}

void all_calls(console_actor_t* self, promise rp) {
  on_all_nodes(self, "calls", [rp](std::map<std::string, console_answer>& replies) mutable {
    auto a = answer("calls", "");  // no node: every node's
    for (auto& [node, r] : replies) {
      a.count_nodes.push_back(node);
      a.counts.push_back(r.calls.size());
      for (auto& c : r.calls) {
        a.calls.push_back(std::move(c));
        a.call_nodes.push_back(r.node);
      }
    }
    rp.deliver(std::move(a));
  });
}

void find_call(console_actor_t* self, promise rp, const std::string& id) {
  on_all_nodes(self, "call " + id,
               [rp, id](std::map<std::string, console_answer>& replies) mutable {
    // A live call first; else the one a store has (the latest, if several nodes had it).
    for (auto& [node, r] : replies)
      if (!r.calls.empty()) {
        rp.deliver(std::move(r));
        return;
      }
    console_answer* best = nullptr;
    for (auto& [node, r] : replies)
      if (!r.stored.empty() &&
          (!best || r.stored[0].call.started_at > best->stored[0].call.started_at))
        best = &r;
    if (best) {
      rp.deliver(std::move(*best));
      return;
    }
    rp.deliver(make_error(cluster_errc::not_found, "no call '" + id + "' on any node"));
  });
}

void pools(console_actor_t* self, promise rp, const std::string& name) {
  auto& ps = self->state.o.pools;
  // By position, so the answer lists the pools in the node's order (stt, llm, tts).
  auto got = std::make_shared<std::vector<std::optional<pool_stats>>>(ps.size());
  auto left = std::make_shared<size_t>(ps.size());
  auto finish = [=]() mutable {
    if (--*left != 0)
      return;
    auto& node = self->state.o.node;
    auto a = answer(name.empty() ? "pools" : "pool", node);
    for (auto& s : *got)
      if (s && (name.empty() || s->name == name))
        a.pools.push_back(std::move(*s));
    if (!name.empty() && a.pools.empty()) {
      rp.deliver(make_error(cluster_errc::not_found, "no pool '" + name + "' on " + node));
      return;
    }
    if (!name.empty())
      a.pools.resize(1);
    rp.deliver(std::move(a));
  };
  for (size_t i = 0; i < ps.size(); ++i)
    self->request(ps[i], ask_timeout, caf::get_atom_v)
      .then([=](pool_stats& s) mutable { (*got)[i] = std::move(s); finish(); },
            [=](caf::error&) mutable { finish(); });
}

void actors(console_actor_t* self, promise rp) {
  auto a = std::make_shared<console_answer>(answer("actors", self->state.o.node));
  a->actors.push_back({"console", self->id(), self->mailbox().size()});
  auto left = std::make_shared<size_t>(self->state.o.pools.size() + 3);
  auto finish = [=]() mutable {
    if (--*left == 0)
      rp.deliver(std::move(*a));
  };
  auto add = [=](std::string name, caf::actor_id id, uint64_t mailbox) mutable {
    a->actors.push_back({std::move(name), id, mailbox});
  };
  for (auto& p : self->state.o.pools)
    self->request(p, ask_timeout, caf::get_atom_v)
      .then([=](pool_stats& s) mutable { add("pool/" + s.name, p.id(), s.mailbox); finish(); },
            [=](caf::error&) mutable { finish(); });
  auto& cluster = self->state.cluster;
  self->request(cluster, ask_timeout, mailbox_atom_v)
    .then([=, id = cluster.id()](uint64_t m) mutable { add("cluster", id, m); finish(); },
          [=](caf::error&) mutable { finish(); });
  auto& calls = self->state.o.calls;
  self->request(calls, ask_timeout, mailbox_atom_v)
    .then([=, id = calls.id()](uint64_t m) mutable { add("calls", id, m); finish(); },
          [=](caf::error&) mutable { finish(); });
  self->request(calls, ask_timeout, caf::get_atom_v)
    .then(
      [=](std::vector<call_snapshot>& list) mutable {
        for (auto& c : list)
          add("call/" + std::to_string(c.session), 0, c.mailbox);
        finish();
      },
      [=](caf::error&) mutable { finish(); });
}

void summary(console_actor_t* self, promise rp) {
  self->request(self->state.cluster, ask_timeout, cluster_view_atom_v)
    .then(
      [=](std::vector<member_info>& view) mutable {
        // Reuse `pools` and merge its answer.
        auto nodes = std::make_shared<std::vector<member_info>>(std::move(view));
        self->request(console_actor{self}, ask_timeout, console_request{"pools", true})
          .then(
            [=](console_answer& p) mutable {
              auto a = answer("summary", self->state.o.node);
              a.nodes = std::move(*nodes);
              a.pools = std::move(p.pools);
              rp.deliver(std::move(a));
            },
            [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      },
      [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
}

caf::error usage(const std::string& what) {
  return make_error(cluster_errc::bad_command, what);
}

console_actor::behavior_type console_impl(console_actor_t* self, console_options o,
                                          cluster_actor cluster) {
  self->state.o = std::move(o);
  self->state.cluster = std::move(cluster);
  return {
    [self](console_request& r) -> caf::result<console_answer> {
      auto w = words(r.line);
      if (w.empty())
        return usage("empty command (try 'help')");
      auto& cmd = w[0];
      auto& me = self->state.o.node;
      // Optional trailing NODE: run the command there.
      auto node_arg = [&](size_t pos) -> std::string { return w.size() > pos ? w[pos] : ""; };
      size_t node_pos = cmd == "call" || cmd == "pool" ? 2 : 1;
      bool takes_node = cmd == "calls" || cmd == "call" || cmd == "pools" || cmd == "pool" ||
                        cmd == "actors" || cmd == "drain";
      if (takes_node && w.size() > node_pos + 1)
        return usage("too many arguments for '" + cmd + "'");
      auto node = takes_node ? node_arg(node_pos) : "";
      if (!node.empty() && node != me) {
        if (r.forwarded)
          return make_error(cluster_errc::unknown_node, "'" + node + "' is not " + me);
        self->delegate(self->state.cluster, cluster_forward_atom_v, node,
                       console_request{r.line, true});
        return caf::delegated<console_answer>{};
      }
      auto rp = self->make_response_promise<console_answer>();
      if (cmd == "nodes" && w.size() == 1) {
        self->request(self->state.cluster, ask_timeout, cluster_view_atom_v)
          .then(
            [=](std::vector<member_info>& view) mutable {
              auto a = answer("nodes", self->state.o.node);
              a.nodes = std::move(view);
              rp.deliver(std::move(a));
            },
            [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      } else if (cmd == "calls") {
        if (node.empty() && !r.forwarded)
          all_calls(self, rp);
        else
          local_calls(self, rp, "");
      } else if (cmd == "call" && w.size() >= 2) {
        if (node.empty() && !r.forwarded)
          find_call(self, rp, w[1]);
        else
          local_calls(self, rp, w[1]);
      } else if (cmd == "pools") {
        pools(self, rp, "");
      } else if (cmd == "pool" && w.size() >= 2) {
        pools(self, rp, w[1]);
      } else if (cmd == "actors") {
        actors(self, rp);
      } else if (cmd == "drain" && !node.empty()) {
        spdlog::warn("console: drain requested");
        auto a = answer("drain", me);
        a.draining = true;
        rp.deliver(std::move(a));
        if (self->state.o.drain)
          self->state.o.drain();
      } else if (cmd == "summary" && w.size() == 1) {
        summary(self, rp);
      } else if (cmd == "call" || cmd == "pool" || cmd == "drain") {
        rp.deliver(usage("'" + cmd + "' needs an argument (try 'help')"));
      } else {
        rp.deliver(usage("unknown command '" + r.line + "' (try 'help')"));
      }
      return rp;
    },
  };
}

} // namespace

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

console_actor spawn_console(caf::actor_system& sys, console_options opts,
                            cluster_actor cluster) {
  return sys.spawn(console_impl, std::move(opts), std::move(cluster));
}

} // namespace sb::console
