#include "runtime/call_records.hpp"

#include <chrono>
#include <cstdlib>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "net/codec/call_record_json.hpp"

namespace sb {

namespace {

using nlohmann::json;

std::string error_json(const std::string& error, const std::string& reason) {
  return json{{"error", error}, {"reason", reason}}.dump();
}

// A whole non-negative number, or false.
bool parse_count(const std::string& v, int64_t& out) {
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::strtoll(v.c_str(), nullptr, 10);
  return true;
}

constexpr auto store_timeout = std::chrono::seconds{10};

} // namespace

std::string call_json(const call_lookup& c) {
  return codec::call_lookup_json(c).dump();
}

std::string calls_json(const call_list& l) {
  json a = json::array();
  for (auto& c : l.calls)
    a.push_back(codec::call_record_json(c));
  return json{{"calls", std::move(a)}, {"count", l.calls.size()}}.dump();
}

static void lookup_one(caf::event_based_actor* self, caf::actor writer, std::string id,
                call_records_answer answer) {
  self->request(writer, store_timeout, caf::get_atom_v, id)
    .then(
      [answer, id](const call_lookup& c) {
        if (!c.error.empty())
          answer(503, error_json("store_unavailable", c.error));
        else if (!c.found)
          answer(404, error_json("not_found", "no call " + id + " in the store"));
        else
          answer(200, call_json(c));
      },
      [answer](const caf::error& e) {
        answer(503,
               error_json("store_unavailable", "the store did not answer: " + to_string(e)));
      });
}

static void lookup_list(caf::event_based_actor* self, caf::actor writer, call_query q,
                 call_records_answer answer) {
  self->request(writer, store_timeout, caf::get_atom_v, q.status, q.since, q.agent, q.limit)
    .then(
      [answer](const call_list& l) {
        if (!l.error.empty())
          answer(503, error_json("store_unavailable", l.error));
        else
          answer(200, calls_json(l));
      },
      [answer](const caf::error& e) {
        answer(503,
               error_json("store_unavailable", "the store did not answer: " + to_string(e)));
      });
}

void serve_call_records(caf::actor_system& sys, caf::actor writer, const std::string& path,
                        const std::map<std::string, std::string>& query,
                        call_records_answer answer) {
  const std::string prefix = "/api/v1/calls/";
  if (path.rfind(prefix, 0) == 0) {
    auto id = path.substr(prefix.size());
    if (id.empty() || id.find('/') != std::string::npos || id.size() > 128) {
      answer(400, error_json("bad_request", "expected /api/v1/calls/CALL_ID"));
      return;
    }
    // The request's data go in as spawn arguments: CAF 0.17 binds a null tuple for a
    // function actor spawned without any (UBSan reports it).
    sys.spawn(lookup_one, writer, id, answer);
    return;
  }
  std::string status, agent;
  int64_t since = 0, limit = 100;
  for (auto& [k, v] : query) {
    if (k == "status") {
      if (v != "active" && v != "ended" && !v.empty()) {
        answer(400, error_json("bad_request", "status: expected active or ended"));
        return;
      }
      status = v;
    } else if (k == "since") {
      if (!parse_count(v, since)) {
        answer(400, error_json("bad_request",
                               "since: expected milliseconds since the Unix epoch"));
        return;
      }
    } else if (k == "agent") {
      agent = v;
    } else if (k == "limit") {
      if (!parse_count(v, limit) || limit < 1 || limit > 1000) {
        answer(400, error_json("bad_request", "limit: expected 1 to 1000"));
        return;
      }
    } else {
      answer(400, error_json("bad_request", "unknown parameter '" + k.substr(0, 64) +
                                              "' (status, since, agent, limit)"));
      return;
    }
  }
  sys.spawn(lookup_list, writer, call_query{status, since, agent, static_cast<uint32_t>(limit)},
            answer);
}

} // namespace sb
