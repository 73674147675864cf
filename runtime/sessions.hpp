// The node's session store ([sessions] backend, ttl): in memory, or in Redis through a
// detached writer (actors/session_store.hpp). See docs/storage.md.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/session_store.hpp"
#include "messages/config.hpp"

namespace sb {

struct session_service {
  caf::actor writer;  // invalid in memory
  caf::actor store;
  std::shared_ptr<session_probe> probe = std::make_shared<session_probe>();
  std::string where;  // "memory" or "redis://HOST:PORT"
};

void start_sessions(caf::actor_system& sys, const node_config& cfg, session_service& out);

// Writes every snapshot still waiting (bounded by `timeout`), then stops both actors.
void stop_sessions(caf::actor_system& sys, session_service& s, std::chrono::milliseconds timeout);

} // namespace sb
