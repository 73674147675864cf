// Simulated OpenAI chat completions: POST /v1/chat/completions, streamed (SSE) or not.
#pragma once

#include <cstdint>

#include "tools/provider_sim/http_types.hpp"
#include "tools/provider_sim/services.hpp"

namespace sb::sim {

route_result handle_chat_completions(sim_services& s, const http_request& req,
                                     int64_t now);

} // namespace sb::sim
