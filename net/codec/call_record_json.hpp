// A stored call as JSON, the same for the call records API (GET /api/v1/calls) and the
// debug console's `call ID` of an ended call: the record's fields (times in ms since the
// Unix epoch, null when unknown) and, with its transcript, the entries in order.
#pragma once

#include <nlohmann/json.hpp>

#include "messages/transcript.hpp"

namespace sb::codec {

nlohmann::json call_record_json(const call_record& c);
// The record with "transcript": [{speaker, text, at, ended_at, turn, interrupted,
// latency_ms}, ...].
nlohmann::json call_lookup_json(const call_lookup& c);

} // namespace sb::codec
