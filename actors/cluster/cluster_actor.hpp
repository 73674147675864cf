// The cluster actor: one per node, published on node.cluster_listen. It keeps the
// membership (who is up, their load), joins the seeds and every member it learns of,
// proves and checks the cluster secret, sends heartbeats and declares silent members
// down, and lets authenticated debug consoles in (their requests go to the console
// actor). Protocol: messages/cluster.hpp; operations: docs/operations.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/io/middleman_actor.hpp>

#include "messages/cluster.hpp"
#include "messages/cluster_actor.hpp"
#include "messages/config.hpp"
#include "messages/console.hpp"
#include "messages/pool_cluster.hpp"

namespace sb::cluster {

struct cluster_options {
  std::string name;
  std::string address;        // advertised HOST:PORT (cluster_listen, bound port)
  uint64_t incarnation = 0;   // random per process start
  cluster_section settings;   // seeds, secret, heartbeat_interval, failure_timeout
  int64_t capacity = 0;       // node.max_calls
  std::function<int64_t()> active_calls;
  std::function<bool()> draining;
  // Called with the view (this node first) on every change and heartbeat tick: the node
  // copies it for its HTTP routes (runtime/cluster/cluster_board.hpp).
  std::function<void(std::vector<member_info>)> report_view;
  // Connects to other nodes (the middleman's, or the TLS manager's when TLS is on).
  caf::io::middleman_actor connector;
  // Called once when the cluster refuses this node before it ever joined (wrong secret,
  // different timing settings): the node should exit with this message.
  std::function<void(const std::string&)> fatal;
  // Builds the console actor that answers console_request (given this actor's handle).
  std::function<console_actor(cluster_actor cluster)> make_console;
  // This node's pool fronts (actors/pool_front.hpp): told the live members and their
  // fronts on every change, and handed to members that ask (pool_fronts_atom).
  pool_fronts fronts;
};

cluster_actor spawn_cluster(caf::actor_system& sys, cluster_options opts);

} // namespace sb::cluster
