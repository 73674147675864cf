// JSON renderings of what the debug console shows: members, calls, pools. Field names
// are part of the console's --json output (docs/operations.md); keep them stable.
#pragma once

#include <nlohmann/json.hpp>

#include "messages/call_inspect.hpp"
#include "messages/cluster.hpp"
#include "messages/pool.hpp"

namespace sb::console {

nlohmann::json member_json(const member_info& m);
// One line of `calls`.
nlohmann::json call_summary_json(const call_snapshot& c);
// `call ID`: state, history, timings, leases.
nlohmann::json call_detail_json(const call_snapshot& c);
// One line of `pools`.
nlohmann::json pool_summary_json(const pool_stats& s);
// `pool NAME`: keys, holders, waiters with waiting times, breaker.
nlohmann::json pool_detail_json(const pool_stats& s);

} // namespace sb::console
