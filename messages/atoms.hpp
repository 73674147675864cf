// Atoms of switchboard's actors (CAF 0.17: at most 10 characters each).
#pragma once

#include <caf/atom.hpp>

namespace sb {

using start_timeout_atom = caf::atom_constant<caf::atom("startto")>;
using playback_timeout_atom = caf::atom_constant<caf::atom("playto")>;
using max_duration_atom = caf::atom_constant<caf::atom("maxdur")>;

constexpr start_timeout_atom start_timeout_atom_v{};
constexpr playback_timeout_atom playback_timeout_atom_v{};
constexpr max_duration_atom max_duration_atom_v{};

} // namespace sb
