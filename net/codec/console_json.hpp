// JSON renderings of what the debug console shows: a node's answer to a command
// (console_answer, messages/console.hpp), members, calls, pools. The console client
// renders an answer here and prints it; /health and /api/v1/stats use member_json for
// their cluster object. Field names are part of the console's --json output
// (docs/operations.md); keep them stable.
#pragma once

#include <nlohmann/json.hpp>

#include "messages/call_inspect.hpp"
#include "messages/cluster.hpp"
#include "messages/console.hpp"
#include "messages/pool.hpp"

namespace sb::codec {

nlohmann::json member_json(const member_info& m);
// One line of `calls`.
nlohmann::json call_summary_json(const call_snapshot& c);
// `call ID`: state, history, timings, leases.
nlohmann::json call_detail_json(const call_snapshot& c);
// One line of `pools`.
nlohmann::json pool_summary_json(const pool_stats& s);
// `pool NAME`: keys, holders, waiters with waiting times, breaker.
nlohmann::json pool_detail_json(const pool_stats& s);
// A node's answer to one command, as `switchboard console --json` prints it.
nlohmann::json console_answer_json(const console_answer& a);

} // namespace sb::codec
