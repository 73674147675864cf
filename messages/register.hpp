// Registers every message type that crosses an actor boundary with the actor system
// config, under a stable name, so the same message can cross a node boundary unchanged.
#pragma once

namespace caf {
class actor_system_config;
}

namespace sb {

void register_types(caf::actor_system_config& cfg);

} // namespace sb
