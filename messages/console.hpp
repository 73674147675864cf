// The debug console's vocabulary and the typed interfaces of its node side
// (actors/console/): the call registry, which knows the node's live calls, and the console
// actor, which answers the commands the cluster actor lets in.
//
//   console -> cluster actor   request console_request{line} -> console_answer
//   cluster -> cluster         the same, for a command that names another node (forwarded)
//
// A console_answer holds what the node found, as values; the console client renders it
// (runtime/console_client/console_json.hpp: the JSON `--json` prints, field names in
// docs/operations.md). Every type here but the actor interfaces crosses node boundaries
// and is registered in register.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/call_inspect.hpp"
#include "messages/cluster.hpp"
#include "messages/pool.hpp"
#include "messages/transcript.hpp"

namespace sb {

// One line of `actors`.
struct console_actor_info {
  std::string name;
  uint64_t id = 0;
  uint64_t mailbox = 0;
};

// The answer to one console command. `command` says which fields hold it:
//   nodes     node, nodes
//   calls     node, calls (this node's); without node (every node's): calls, call_nodes
//             (the node of each call), count_nodes/counts (how many each node has)
//   call      node, and calls (the live call) or stored (the one from the store)
//   pools     node, pools;  pool: node, pools (the one)
//   actors    node, actors; drain: node, draining; summary: node, nodes, pools
struct console_answer {
  std::string command;
  std::string node;
  std::vector<member_info> nodes;
  std::vector<call_snapshot> calls;
  std::vector<std::string> call_nodes;
  std::vector<std::string> count_nodes;
  std::vector<uint64_t> counts;
  std::vector<call_lookup> stored;
  std::vector<pool_stats> pools;
  std::vector<console_actor_info> actors;
  bool draining = false;
};

// The call registry: runtime/node.cpp registers each call actor it spawns; asked for the
// calls it inspects each one (call_inspect_atom, at most 1 s per call).
using call_registry_actor = caf::typed_actor<
  caf::reacts_to<caf::put_atom, uint64_t, caf::actor>,               // session, call
  caf::replies_to<caf::get_atom>::with<std::vector<call_snapshot>>,  // every live call
  caf::replies_to<mailbox_atom>::with<uint64_t>>;                    // its mailbox size

// The console actor: one command line in, one answer out.
using console_actor =
  caf::typed_actor<caf::replies_to<console_request>::with<console_answer>>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, console_actor_info& x) {
  return f(caf::meta::type_name("console_actor_info"), x.name, x.id, x.mailbox);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, console_answer& x) {
  return f(caf::meta::type_name("console_answer"), x.command, x.node, x.nodes, x.calls,
           x.call_nodes, x.count_nodes, x.counts, x.stored, x.pools, x.actors, x.draining);
}

} // namespace sb
