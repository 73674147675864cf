#include "runtime/console/console_actor.hpp"

#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "messages/call_inspect.hpp"
#include "messages/cluster.hpp"
#include "messages/transcript.hpp"
#include "net/codec/call_record_json.hpp"
#include "runtime/console/console_json.hpp"

namespace sb::console {

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr auto ask_timeout = 5s;

struct console_state {
  static inline const char* name = "console";
  console_options o;
  caf::actor cluster;
};

using console_actor_t = caf::stateful_actor<console_state>;
using promise = caf::typed_response_promise<console_reply>;

void deliver(promise& rp, json j) {
  rp.deliver(console_reply{j.dump()});
}

// Runs `line` on every member that is up (this node locally) and hands the replies, by
// node name, to `done`. Nodes that fail to answer are left out.
void on_all_nodes(console_actor_t* self, const std::string& line,
                  std::function<void(std::map<std::string, json>&)> done) {
  self->request(self->state.cluster, ask_timeout, cluster_view_atom_v)
    .then(
      [=](std::vector<member_info>& view) {
        auto acc = std::make_shared<std::map<std::string, json>>();
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
              [=](console_reply& r) {
                auto j = json::parse(r.json, nullptr, false);
                if (!j.is_discarded())
                  (*acc)[name] = std::move(j);
                finish();
              },
              [=](caf::error&) { finish(); });
        }
      },
      [=](caf::error&) {
        std::map<std::string, json> none;
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
        deliver(rp, {{"command", "call"}, {"node", node}, {"stored", true},
                     {"call", codec::call_lookup_json(c)}});
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
            if (std::to_string(c.session) == id || c.call_sid == id || c.stream_sid == id)
              return deliver(rp, {{"command", "call"}, {"node", node},
                                  {"call", call_detail_json(c)}});
          stored_call(self, rp, id);
          return;
        }
        json list = json::array();
        for (auto& c : calls) {
          auto j = call_summary_json(c);
          j["node"] = node;
          list.push_back(std::move(j));
        }
        deliver(rp, {{"command", "calls"}, {"node", node}, {"count", list.size()},
                     {"calls", std::move(list)}});
      },
      [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
}

void all_calls(console_actor_t* self, promise rp) {
  on_all_nodes(self, "calls", [rp](std::map<std::string, json>& replies) mutable {
    json list = json::array();
    json per_node = json::object();
    for (auto& [node, r] : replies) {
      per_node[node] = r.value("count", 0);
      for (auto& c : r["calls"])
        list.push_back(c);
    }
    deliver(rp, {{"command", "calls"}, {"count", list.size()}, {"nodes", per_node},
                 {"calls", std::move(list)}});
  });
}

void find_call(console_actor_t* self, promise rp, const std::string& id) {
  on_all_nodes(self, "call " + id, [rp, id](std::map<std::string, json>& replies) mutable {
    // A live call first; else the one a store has (the latest, if several nodes had it).
    for (auto& [node, r] : replies)
      if (r.contains("call") && !r.value("stored", false))
        return deliver(rp, r);
    const json* best = nullptr;
    for (auto& [node, r] : replies)
      if (r.contains("call") &&
          (!best || r["call"].value("started_at", 0) > (*best)["call"].value("started_at", 0)))
        best = &r;
    if (best)
      return deliver(rp, *best);
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
    auto acc = std::make_shared<std::vector<pool_stats>>();
    for (auto& s : *got)
      if (s)
        acc->push_back(std::move(*s));
    auto& node = self->state.o.node;
    if (!name.empty()) {
      for (auto& s : *acc)
        if (s.name == name)
          return deliver(rp, {{"command", "pool"}, {"node", node},
                              {"pool", pool_detail_json(s)}});
      rp.deliver(make_error(cluster_errc::not_found, "no pool '" + name + "' on " + node));
      return;
    }
    json list = json::array();
    for (auto& s : *acc)
      list.push_back(pool_summary_json(s));
    deliver(rp, {{"command", "pools"}, {"node", node}, {"pools", std::move(list)}});
  };
  for (size_t i = 0; i < ps.size(); ++i)
    self->request(ps[i], ask_timeout, caf::get_atom_v)
      .then([=](pool_stats& s) mutable { (*got)[i] = std::move(s); finish(); },
            [=](caf::error&) mutable { finish(); });
}

void actors(console_actor_t* self, promise rp) {
  auto list = std::make_shared<json>(json::array());
  list->push_back({{"name", "console"}, {"id", self->id()},
                   {"mailbox", self->mailbox().size()}});
  auto left = std::make_shared<size_t>(self->state.o.pools.size() + 3);
  auto finish = [=]() mutable {
    if (--*left == 0)
      deliver(rp, {{"command", "actors"}, {"node", self->state.o.node},
                   {"actors", *list}});
  };
  auto add = [=](std::string name, caf::actor_id id, uint64_t mailbox) mutable {
    list->push_back({{"name", std::move(name)}, {"id", id}, {"mailbox", mailbox}});
  };
  for (auto& p : self->state.o.pools)
    self->request(p, ask_timeout, caf::get_atom_v)
      .then([=](pool_stats& s) mutable { add("pool/" + s.name, p.id(), s.mailbox); finish(); },
            [=](caf::error&) mutable { finish(); });
  for (auto& [name, a] : {std::pair{"cluster", self->state.cluster},
                          std::pair{"calls", self->state.o.calls}})
    self->request(a, ask_timeout, mailbox_atom_v)
      .then([=, n = std::string(name), id = a.id()](uint64_t m) mutable { add(n, id, m); finish(); },
            [=](caf::error&) mutable { finish(); });
  self->request(self->state.o.calls, ask_timeout, caf::get_atom_v)
    .then(
      [=](std::vector<call_snapshot>& calls) mutable {
        for (auto& c : calls)
          add("call/" + std::to_string(c.session), 0, c.mailbox);
        finish();
      },
      [=](caf::error&) mutable { finish(); });
}

void summary(console_actor_t* self, promise rp) {
  self->request(self->state.cluster, ask_timeout, cluster_view_atom_v)
    .then(
      [=](std::vector<member_info>& view) mutable {
        json nodes = json::array();
        for (auto& m : view)
          nodes.push_back(member_json(m));
        // Reuse `pools` and merge its answer.
        auto pr = std::make_shared<json>(std::move(nodes));
        self->request(caf::actor_cast<caf::actor>(self), ask_timeout,
                      console_request{"pools", true})
          .then(
            [=](console_reply& r) mutable {
              auto p = json::parse(r.json, nullptr, false);
              deliver(rp, {{"command", "summary"}, {"node", self->state.o.node},
                           {"nodes", *pr},
                           {"pools", p.is_discarded() ? json::array() : p["pools"]}});
            },
            [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      },
      [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
}

caf::error usage(const std::string& what) {
  return make_error(cluster_errc::bad_command, what);
}

caf::behavior console_impl(console_actor_t* self, console_options o, caf::actor cluster) {
  self->state.o = std::move(o);
  self->state.cluster = std::move(cluster);
  return {
    [self](console_request& r) -> caf::result<console_reply> {
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
        return caf::delegated<console_reply>{};
      }
      auto rp = self->make_response_promise<console_reply>();
      if (cmd == "nodes" && w.size() == 1) {
        self->request(self->state.cluster, ask_timeout, cluster_view_atom_v)
          .then(
            [=](std::vector<member_info>& view) mutable {
              json list = json::array();
              for (auto& m : view)
                list.push_back(member_json(m));
              deliver(rp, {{"command", "nodes"}, {"node", self->state.o.node},
                           {"nodes", std::move(list)}});
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
        deliver(rp, {{"command", "drain"}, {"node", me}, {"draining", true}});
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

caf::actor spawn_console(caf::actor_system& sys, console_options opts, caf::actor cluster) {
  return sys.spawn(console_impl, std::move(opts), std::move(cluster));
}

} // namespace sb::console
