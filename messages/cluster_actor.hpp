// The cluster actor's typed interface (actors/cluster/cluster_actor.hpp): what other
// nodes' cluster actors, the debug console, this node's console actor and its own timer
// send it. The vocabulary is in messages/cluster.hpp (membership), messages/console.hpp
// (console queries) and messages/pool_cluster.hpp (a member's pool fronts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/cluster.hpp"
#include "messages/console.hpp"
#include "messages/pool_cluster.hpp"

namespace sb {

using cluster_actor = caf::typed_actor<
  // the node, once its port is bound: the address to advertise
  caf::reacts_to<caf::publish_atom, std::string>,
  // its heartbeat timer
  caf::reacts_to<cluster_tick_atom>,
  // joining: hello, then the proof of the secret (other nodes and consoles)
  caf::replies_to<cluster_hello>::with<cluster_challenge>,
  caf::replies_to<cluster_join>::with<cluster_welcome>,
  // members
  caf::reacts_to<cluster_heartbeat>,
  caf::reacts_to<cluster_leave>,
  caf::replies_to<pool_fronts_atom>::with<pool_fronts>,
  // consoles and this node's console actor
  caf::replies_to<cluster_view_atom>::with<std::vector<member_info>>,
  caf::replies_to<console_request>::with<console_answer>,
  caf::replies_to<cluster_forward_atom, std::string, console_request>::with<console_answer>,
  caf::replies_to<mailbox_atom>::with<uint64_t>,
  // the node at shutdown: tell the members it leaves
  caf::replies_to<cluster_shutdown_atom>::with<caf::ok_atom>>;

} // namespace sb
