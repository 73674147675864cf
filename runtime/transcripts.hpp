// The node's transcript path: the store named by [store] transcripts, opened (schema
// created or migrated) at start, its writer (a detached actor: the store blocks) and the
// batcher the call actors report to ([batcher] keys). See docs/storage.md.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/transcript_batcher.hpp"
#include "messages/config.hpp"

namespace sb {

struct transcript_service {
  caf::actor writer;
  caf::actor batcher;
  std::shared_ptr<batcher_probe> probe = std::make_shared<batcher_probe>();
  std::string where;  // "sqlite:PATH" or the URI without password, for logs and stats
};

// Opens the store and spawns the writer and batcher; false with `error` when the store
// cannot be opened (the node does not start: a transcript path that cannot work would
// lose every call's record).
bool start_transcripts(caf::actor_system& sys, const node_config& cfg, transcript_service& out,
                       std::string& error);

// Writes everything still waiting (bounded by `timeout`), then stops both actors.
void stop_transcripts(caf::actor_system& sys, transcript_service& t,
                      std::chrono::milliseconds timeout);

} // namespace sb
