// The node's live calls, for the debug console: runtime/node.cpp registers each call
// actor it spawns; the registry monitors it and forgets it when it ends. Asked for the
// calls, it inspects each one (call_inspect_atom) and answers with their snapshots.
// Its interface: call_registry_actor (messages/console.hpp).
#pragma once

#include <caf/fwd.hpp>

#include "messages/console.hpp"

namespace sb::console {

call_registry_actor spawn_call_registry(caf::actor_system& sys);

} // namespace sb::console
