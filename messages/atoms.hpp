// Atoms of switchboard's actors (CAF 0.17: at most 10 characters each).
#pragma once

#include <caf/atom.hpp>

namespace sb {

using start_timeout_atom = caf::atom_constant<caf::atom("startto")>;
using playback_timeout_atom = caf::atom_constant<caf::atom("playto")>;
using max_duration_atom = caf::atom_constant<caf::atom("maxdur")>;
// The edge to a call actor: every caller frame sent before this is in your mailbox; newer
// audio waits for telephony_port::open_route (see route_audio).
using audio_routed_atom = caf::atom_constant<caf::atom("audrouted")>;
// A call's keypad digits are complete when no other digit followed for a moment.
using dtmf_done_atom = caf::atom_constant<caf::atom("dtmfdone")>;

// The node is stopping (its drain time is over): (call_shutdown_atom, at_once) ends the
// call with reason `shutdown`, after speaking the goodbye unless `at_once` (a second
// signal) or there is none.
using call_shutdown_atom = caf::atom_constant<caf::atom("callshut")>;
// The goodbye took too long (no TTS lease, or its audio never finished): close anyway.
using goodbye_timeout_atom = caf::atom_constant<caf::atom("byeto")>;
constexpr goodbye_timeout_atom goodbye_timeout_atom_v{};

constexpr start_timeout_atom start_timeout_atom_v{};
constexpr call_shutdown_atom call_shutdown_atom_v{};
constexpr playback_timeout_atom playback_timeout_atom_v{};
constexpr max_duration_atom max_duration_atom_v{};
constexpr audio_routed_atom audio_routed_atom_v{};
constexpr dtmf_done_atom dtmf_done_atom_v{};

} // namespace sb
