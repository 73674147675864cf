// The call records API (GET /api/v1/calls/{call_id}, GET /api/v1/calls?status=&since=
// &agent=&limit=): validates the request, asks the store writer (no store I/O on the I/O
// thread or the scheduler), and renders the answer as JSON. See docs/storage.md.
#pragma once

#include <functional>
#include <map>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "messages/transcript.hpp"

namespace sb {

using call_records_answer = std::function<void(unsigned, std::string)>;

// `path` is /api/v1/calls or /api/v1/calls/ID; answers (status, JSON body) once.
void serve_call_records(caf::actor_system& sys, caf::actor writer, const std::string& path,
                        const std::map<std::string, std::string>& query,
                        call_records_answer answer);

// The JSON forms (tested on their own).
std::string call_json(const call_lookup& c);
std::string calls_json(const call_list& l);

} // namespace sb
