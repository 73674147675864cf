// lws WebSocket protocol for Deepgram live STT (/v1/listen): upgrade checks, frames in,
// timed text frames and closes out. The protocol logic itself is stt_stream.
#pragma once

#include <cstddef>
#include <cstdint>

#include <libwebsockets.h>

#include "tools/provider_sim/app.hpp"

namespace sb::sim {

struct ws_session;
constexpr size_t ws_session_size = 2 * sizeof(void*);  // ws_session: two pointers

int stt_ws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                    size_t len);

// Shared tick: idle timeouts and delayed results of every STT stream.
void stt_tick(sim_app& app, int64_t now);

// Server stopping: every STT stream gets a 1001 close; new upgrades get 503.
void stt_drain(sim_app& app, int64_t now);

} // namespace sb::sim
