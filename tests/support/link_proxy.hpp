// A test-controlled TCP proxy between cluster nodes on one machine, to cut links the way
// networks do (docs/design/cluster-leases.md, failure model). Every node gets a front
// port here and advertises it ([cluster] advertise), so every connection between two
// nodes crosses the proxy. The proxy learns which node opened a connection from the
// process owning its client socket (/proc), so a link is a pair of node names whichever
// side connected. Modes, per node (all its links) or per pair of nodes:
//   pass       bytes flow;
//   blackhole  nothing flows, sockets stay open (a partition: the peers see silence,
//              no FIN, no RST); new connections are accepted and held; on pass again
//              everything buffered flows on, as TCP would after a healed partition;
//   reset      every connection is closed with an RST at once, new ones too.
// One thread runs the loop (poll on plain sockets); the control calls return once the
// loop has applied them.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sb::test {

enum class link_mode { pass, blackhole, reset };

class link_proxy {
public:
  link_proxy();
  ~link_proxy();
  link_proxy(const link_proxy&) = delete;
  link_proxy& operator=(const link_proxy&) = delete;

  // A listening port on 127.0.0.1 for connections to node `name` (its advertised port).
  // Connections arriving before target() are held.
  uint16_t front(const std::string& name);
  // Where node `name` really listens (its cluster_listen) and its process id (its own
  // connections to other fronts are its links).
  void target(const std::string& name, const std::string& host, uint16_t port, int pid);
  // Every link of `name`, present and future.
  void set_node(const std::string& name, link_mode m);
  // The links between `a` and `b` (either direction).
  void set_link(const std::string& a, const std::string& b, link_mode m);
  // Connections accepted between `a` and `b` so far (either direction), and bytes passed.
  int connections(const std::string& a, const std::string& b);
  uint64_t bytes(const std::string& a, const std::string& b);

  struct impl;

private:
  void apply();  // wakes the loop and waits until it applied the new modes
  std::unique_ptr<impl> d_;
  std::thread loop_;
};

} // namespace sb::test
