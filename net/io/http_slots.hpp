// Kept-alive HTTP/1.1 connections to one provider endpoint (I/O thread only).
//
// libwebsockets reuses a client connection when a new request to the same host and port
// is made on the same vhost with LCCSCF_PIPELINE, but it queues the request behind any
// connection to that host, busy or not: one streaming LLM reply would hold up every other
// call's request. So each connection gets a vhost of its own, a "slot": a request takes a
// slot nobody is using, the one most recently given back first (its connection is the one
// most likely still open), and lws reuses that slot's idle connection if there is one or
// opens a new one. Requests in flight never share a connection, so there are never more
// connections in use than streams the provider's pool has granted; idle ones close after
// `keep_alive`.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

struct lws;
struct lws_context;
struct lws_protocols;
struct lws_vhost;

namespace sb::net {

class http_slots {
public:
  using clock = std::chrono::steady_clock;

  // name: the provider's vhost name ("llm-client"); ca_file: its PEM bundle or "" for the
  // system's store; keep_alive: how long an idle connection is kept (0 = never reused).
  http_slots(lws_context* ctx, const lws_protocols* protocols, std::string name,
             std::string ca_file, std::chrono::milliseconds keep_alive);

  // The vhost made at start-up: TLS set up once, so a bad ca_file fails the node's start.
  bool init(std::string& error);

  struct taken {
    lws_vhost* vhost = nullptr;
    int slot = -1;      // -1: no slot (keep-alive off, or too many): a one-off connection
    bool warm = false;  // the slot's connection is idle and open: this request reuses it
  };
  taken take();
  // The request on `slot` is over. `reusable`: it completed, so its connection stays open
  // (idle) for the next request; otherwise the connection is closed.
  void give_back(int slot, bool reusable);
  // The idle connection of `slot` closed (the server, or keep_alive passed).
  void idle_closed(int slot, uint32_t generation);
  // Marks an idle connection so its close can be told apart from a later one on the slot.
  uint32_t generation(int slot) const;

  uint16_t keep_warm_secs() const;
  bool enabled() const { return keep_alive_.count() > 0; }
  lws_vhost* base() const { return base_; }  // for connections that are not kept alive
  size_t slots() const { return slots_.size(); }
  size_t idle() const;

  static constexpr size_t max_slots = 1024;

private:
  struct slot {
    lws_vhost* vhost = nullptr;
    bool busy = false;
    bool warm = false;
    uint32_t generation = 0;
    clock::time_point idle_since{};
  };
  lws_vhost* make_vhost(const std::string& name);

  lws_context* ctx_;
  const lws_protocols* protocols_;
  std::string name_;
  std::string ca_file_;
  std::chrono::milliseconds keep_alive_;
  lws_vhost* base_ = nullptr;
  std::deque<slot> slots_;   // stable addresses; vhosts live as long as the context
  std::deque<std::string> names_;  // the vhosts' names (lws points at them)
  std::vector<int> free_;    // free slots, the most recently given back last
};

} // namespace sb::net
