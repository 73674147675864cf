// lws "http" protocol: turns lws HTTP events into route_http() calls and streams replies.
#pragma once

#include <cstddef>
#include <cstdint>

#include <libwebsockets.h>

#include "tools/provider_sim/app.hpp"

namespace sb::sim {

// Per-session memory of the http protocol (lws allocates and zeroes it).
struct http_session;
constexpr size_t http_session_size = sizeof(void*);

int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                  size_t len);

// Shared tick: asks for WRITEABLE on connections whose next body piece fell due.
void http_tick(sim_app& app, int64_t now);

} // namespace sb::sim
