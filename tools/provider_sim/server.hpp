// The simulator's lws context: one vhost, one service thread (the caller of run()),
// and one shared 20 ms tick that drives all timed work.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "net/lws/event_loop.hpp"
#include "tools/provider_sim/config.hpp"

struct lws_context;

namespace sb::sim {

struct sim_app;
struct tick_timer;

class sim_server {
 public:
  explicit sim_server(sim_config cfg);
  ~sim_server();
  sim_server(const sim_server&) = delete;
  sim_server& operator=(const sim_server&) = delete;

  // Creates the context and binds the listening socket; false + `error` on failure.
  bool start(std::string& error);
  int port() const { return port_; }
  // Initial fault injection (--fail): target stt|llm|tts|all, mode as /sim/faults.
  // Before run() only. Returns an error text or "".
  std::string set_fault(const std::string& target, const std::string& mode);

  // Serves until request_stop(); then closes every connection.
  void run();
  // Any thread.
  void request_stop();
  bool stop_requested() const { return stop_; }

 private:
  std::unique_ptr<sim_app> app_;
  std::unique_ptr<tick_timer> tick_;
  lwsloop::event_loop loop_;  // epoll under lws; outlives ctx_
  lws_context* ctx_ = nullptr;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex ctx_mutex_; // guards ctx_ against request_stop() during destruction
};

} // namespace sb::sim
