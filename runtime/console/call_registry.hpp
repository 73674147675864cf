// The node's live calls, for the debug console: runtime/node.cpp registers each call
// actor it spawns; the registry monitors it and forgets it when it ends. Asked for the
// calls, it inspects each one (call_inspect_atom) and answers with their snapshots.
//   (put_atom, uint64_t session, actor call)      register
//   (get_atom) -> std::vector<call_snapshot>       every live call (1 s per call at most)
//   (mailbox_atom) -> uint64_t                      its own mailbox size
#pragma once

#include <caf/fwd.hpp>

namespace sb::console {

caf::actor spawn_call_registry(caf::actor_system& sys);

} // namespace sb::console
