// A call snapshot (messages/session.hpp) as the JSON kept in the session backend:
//   {"v":1,"call_id","node","stream_sid","turn","state","started_at","updated_at",
//    "resumes","history":[{"role","content"},...]}
// Read back with every field's type checked: what another build or a person wrote there
// is refused with the reason, never trusted.
#pragma once

#include <string>

#include "messages/session.hpp"

namespace sb::codec {

std::string snapshot_to_json(const session_snapshot& s);
// false with `error` when `text` is not a snapshot of this version.
bool snapshot_from_json(const std::string& text, session_snapshot& out, std::string& error);

} // namespace sb::codec
