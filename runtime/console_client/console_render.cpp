#include "runtime/console_client/console_render.hpp"

#include <cstdio>
#include <sstream>
#include <vector>

namespace sb::console_tool {

namespace {

using json = nlohmann::json;

struct command_help {
  const char* usage;
  const char* what;
};

const std::vector<command_help> commands{
  {"nodes", "cluster members: state, load, last heartbeat"},
  {"calls [NODE]", "live calls on every node (or on NODE)"},
  {"call ID [NODE]", "one call (session id or call SID): state, history, timings, leases"},
  {"pools [NODE]", "provider pools of this node (or NODE)"},
  {"pool NAME [NODE]", "one pool: keys, holders, waiters with waiting times, breaker"},
  {"actors [NODE]", "the node's actors with their mailbox sizes"},
  {"drain NODE", "drain NODE (as SIGTERM: no new calls, finish active ones, leave)"},
  {"watch [COUNT]", "a summary every second (COUNT times; Ctrl-C stops)"},
  {"help", "this list"},
  {"quit", "leave the console (interactive)"},
};

std::string text(const json& v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_null())
    return "-";
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v.get<double>());
    return buf;
  }
  return v.dump();
}

// Rows of `list` with the given columns, aligned.
std::string table(const json& list, const std::vector<std::string>& cols) {
  std::vector<std::vector<std::string>> rows{{cols.begin(), cols.end()}};
  for (auto& item : list) {
    std::vector<std::string> r;
    for (auto& c : cols)
      r.push_back(item.contains(c) ? text(item[c]) : "");
    rows.push_back(std::move(r));
  }
  std::vector<size_t> width(cols.size(), 0);
  for (auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  std::ostringstream out;
  for (auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i)
      out << r[i] << std::string(i + 1 < r.size() ? width[i] - r[i].size() + 2 : 0, ' ');
    out << '\n';
  }
  return out.str();
}

const std::vector<std::string> node_cols{"name", "address", "state", "active_calls",
                                         "capacity", "draining", "last_heard_ms",
                                         "down_reason"};
const std::vector<std::string> pool_cols{"name", "provider", "active", "queued",
                                         "capacity", "utilization", "breaker",
                                         "total_acquired", "total_timeouts", "home"};

} // namespace

std::string render(const json& r) {
  auto cmd = r.value("command", "");
  std::ostringstream out;
  if (cmd == "nodes") {
    out << table(r["nodes"], node_cols);
  } else if (cmd == "calls") {
    out << r.value("count", 0) << " live call(s)\n";
    if (!r["calls"].empty())
      out << table(r["calls"], {"node", "id", "call_sid", "dialect", "state", "turn",
                                "age_ms", "leases", "remote_ip"});
  } else if (cmd == "call" && r.value("stored", false)) {
    // An ended call, from the node's transcript store.
    auto& c = r["call"];
    out << "call " << text(c["call_id"]) << " (stored on " << text(r["node"]) << "): "
        << text(c["status"]) << ", " << text(c["end_reason"]) << ", " << text(c["turns"])
        << " turns, node " << text(c["node"]) << "\n"
        << "  " << text(c["dialect"]) << " stream " << text(c["stream_sid"]) << " from "
        << text(c["from"]) << " to " << text(c["to"]) << ", turn latency p50 "
        << text(c["latency_ms"]["p50"]) << " ms\n"
        << "  transcript:\n";
    for (auto& e : c["transcript"])
      out << "    " << text(e["turn"]) << " " << text(e["speaker"]) << ": " << text(e["text"])
          << (e.value("interrupted", false) ? "  [interrupted]" : "") << "\n";
  } else if (cmd == "call") {
    auto& c = r["call"];
    out << "call " << text(c["id"]) << " on " << text(r["node"]) << ": " << text(c["state"])
        << ", turn " << text(c["turn"]) << ", " << text(c["age_ms"]) << " ms old\n"
        << "  call_sid " << text(c["call_sid"]) << "  stream_sid " << text(c["stream_sid"])
        << "  " << text(c["dialect"]) << " from " << text(c["remote_ip"]) << "\n"
        << "  timings: " << c["timings"].dump() << "\n"
        << "  leases (" << c["leases"].size() << ", "
        << text(c["pending_acquisitions"]) << " pending):\n";
    for (auto& l : c["leases"])
      out << "    " << text(l["provider"]) << " lease " << text(l["lease_id"]) << " held "
          << text(l["held_ms"]) << " ms\n";
    out << "  history:\n";
    for (auto& m : c["history"])
      out << "    " << text(m["role"]) << ": " << text(m["content"]) << "\n";
  } else if (cmd == "pools") {
    out << table(r["pools"], pool_cols);
  } else if (cmd == "pool") {
    auto& p = r["pool"];
    out << "pool " << text(p["name"]) << " on " << text(r["node"]) << ": "
        << text(p["active"]) << "/" << text(p["capacity"]) << " active, "
        << text(p["queued"]) << " waiting, breaker " << p["breaker"].dump() << ", home "
        << text(p["home"]) << " (" << text(p["node_active"]) << " held on this node)\n";
    out << "keys:\n" << table(p["keys"], {"key", "max_active", "effective_limit", "active",
                                          "blocked_ms"});
    out << "holders:\n" << table(p["holders"], {"lease_id", "holder", "key", "held_ms"});
    out << "waiters:\n"
        << table(p["waiters"], {"ticket", "requester", "waiting_ms", "remaining_ms"});
  } else if (cmd == "actors") {
    out << table(r["actors"], {"name", "id", "mailbox"});
  } else if (cmd == "drain") {
    out << text(r["node"]) << " is draining\n";
  } else if (cmd == "summary") {
    out << table(r["nodes"], {"name", "state", "active_calls", "capacity", "draining",
                              "last_heard_ms"});
    out << table(r["pools"], {"name", "active", "queued", "capacity", "breaker"});
  } else if (cmd == "help") {
    out << help_text();
  } else {
    out << r.dump(2) << "\n";
  }
  return out.str();
}

std::string help_text() {
  std::ostringstream out;
  out << "commands (separate several with ';'):\n";
  for (auto& c : commands) {
    out << "  " << c.usage << std::string(20 - std::string(c.usage).size(), ' ') << c.what
        << "\n";
  }
  return out.str();
}

json help_json() {
  json list = json::array();
  for (auto& c : commands)
    list.push_back({{"usage", c.usage}, {"description", c.what}});
  return {{"command", "help"}, {"commands", list}};
}

} // namespace sb::console_tool
