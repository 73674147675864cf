// A libev loop under a libwebsockets context. lws's own loop calls poll() over every
// open connection on each wakeup, so its cost grows with the number of calls; libev
// waits with epoll, which costs per ready connection. Used by the node's I/O thread,
// the provider simulator and the load generator alike.
#pragma once

#include <libwebsockets.h>

struct ev_loop;

namespace sb::lwsloop {

class event_loop {
public:
  event_loop();
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  // Points the context to be created at this loop (LWS_SERVER_OPTION_LIBEV).
  void configure(lws_context_creation_info& info);
  // Waits for and handles at least one event (I/O, lws timer, lws_cancel_service).
  void run_once();
  // Destroys the context and lets lws stop its watchers.
  void destroy(lws_context* ctx);

private:
  struct ev_loop* loop_;
  void* foreign_[1];
};

} // namespace sb::lwsloop
