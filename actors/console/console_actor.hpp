// The console actor: answers the debug console's commands on one node (the cluster actor
// lets authenticated consoles in and hands their console_request here). Commands that
// name another node go to that node through the cluster actor. Answers are values
// (console_answer, messages/console.hpp); `switchboard console` renders them as JSON
// (runtime/console_client/console_json.hpp) and prints them.
//
//   nodes | calls [NODE] | call ID [NODE] | pools [NODE] | pool NAME [NODE]
//   (call ID: a live call, or else an ended one from the node's transcript store)
//   actors [NODE] | drain NODE | summary
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "messages/cluster_actor.hpp"
#include "messages/console.hpp"
#include "messages/pool.hpp"

namespace sb::console {

struct console_options {
  std::string node;                // this node's name
  call_registry_actor calls;       // call_registry.hpp
  std::vector<pool_actor> pools;
  std::function<void()> drain;     // same as SIGTERM: drain, then exit
  // The transcript store's writer ((get_atom, call_id) -> call_lookup): `call ID` of a
  // call that is no longer live shows its stored record and transcript. May be invalid.
  caf::actor transcripts;
};

console_actor spawn_console(caf::actor_system& sys, console_options opts,
                            cluster_actor cluster);

// The words of a command line (split on blanks).
std::vector<std::string> words(const std::string& line);

} // namespace sb::console
