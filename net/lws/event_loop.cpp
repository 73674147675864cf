#include "net/lws/event_loop.hpp"

#include <ev.h>

namespace sb::lwsloop {

// A loop of its own (not libev's default loop, which owns SIGCHLD), epoll backend.
event_loop::event_loop() : loop_(ev_loop_new(EVBACKEND_EPOLL)), foreign_{loop_} {}

event_loop::~event_loop() {
  if (loop_)
    ev_loop_destroy(loop_);
}

void event_loop::configure(lws_context_creation_info& info) {
  info.options |= LWS_SERVER_OPTION_LIBEV;
  info.foreign_loops = foreign_;
}

void event_loop::run_once() { ev_run(loop_, EVRUN_ONCE); }

void event_loop::destroy(lws_context* ctx) {
  if (ctx)
    lws_context_destroy(ctx);
  ev_run(loop_, EVRUN_NOWAIT);
}

} // namespace sb::lwsloop
