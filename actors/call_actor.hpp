// The call actor: one per phone call. Streams the caller's audio to speech-to-text from
// the first frame, runs each finished utterance through the LLM, speaks the reply sentence
// by sentence through TTS, and handles barge-in. States: STARTING -> LISTENING ->
// THINKING -> RESPONDING -> LISTENING ..., and ENDED (the actor quits).
#pragma once

#include <memory>
#include <string>

#include <caf/actor.hpp>

#include <caf/fwd.hpp>

#include "messages/call.hpp"
#include "messages/ports.hpp"

namespace sb {

struct call_deps {
  call_spawn_info info;
  std::shared_ptr<telephony_port> telephony;
  std::shared_ptr<provider_port> providers;
  std::shared_ptr<call_probe> probe;  // may be null
  call_settings settings;
  // The transcript batcher (actors/transcript_batcher.hpp); invalid = nothing recorded.
  caf::actor transcripts;
  // The session store (actors/session_store.hpp); invalid = no snapshots, no resume.
  caf::actor sessions;
  std::string node_name;
};

caf::actor spawn_call(caf::actor_system& sys, call_deps deps);

} // namespace sb
