// State shared by the lws callbacks, reachable from any wsi via lws_context_user().
// Lives in the server object; touched only by the lws service thread.
#pragma once

#include <string>
#include <unordered_set>

#include <libwebsockets.h>

#include "tools/provider_sim/services.hpp"
#include "tools/provider_sim/stt_deepgram.hpp"
#include "tools/provider_sim/tone.hpp"

namespace sb::sim {

// What CONFIRM_UPGRADE decided, picked up by ADD_HEADERS and ESTABLISHED of the same
// wsi (lws runs the three back to back for one handshake).
struct pending_upgrade {
  lws* wsi = nullptr;
  std::string request_id;
  std::string key;
  stt_options options;
  bool tts = false;  // a TTS WebSocket upgrade, not a Deepgram listen
  bool tts_deepgram = false;  // Deepgram /v1/speak, not ElevenLabs stream-input
  tone_format tts_format = tone_format::mulaw;
};

struct sim_app {
  sim_services services;
  std::unordered_set<lws*> http_active; // HTTP connections with a reply in progress
  std::unordered_set<lws*> stt_active;  // established STT WebSockets
  std::unordered_set<lws*> tts_active;  // established ElevenLabs stream-input WebSockets
  // HTTP connections (kept alive across requests) that carried a provider API request.
  std::unordered_set<lws*> api_connections;
  pending_upgrade upgrade;
  bool draining = false; // stopping: refuse new streams, close open ones
  // The STT protocol is initialised on the listening vhost: upgrades bind to it (lws 4.1
  // does this on its loop's first turn; an upgrade before it was bound to plain HTTP).
  bool ws_bound = false;
};

inline sim_app& app_of(lws* wsi) {
  return *static_cast<sim_app*>(lws_context_user(lws_get_context(wsi)));
}

} // namespace sb::sim
