// HTTP routing: provider REST endpoints and the simulator's own /sim control endpoints.
#pragma once

#include <cstdint>

#include "tools/provider_sim/http_types.hpp"
#include "tools/provider_sim/services.hpp"

namespace sb::sim {

route_result route_http(sim_services& s, const http_request& req, int64_t now);

// GET /sim/stats body: counters per API and key, plus the fault state.
nlohmann::ordered_json stats_json(const sim_services& s);

} // namespace sb::sim
