// Simulated TTS REST APIs: ElevenLabs /v1/text-to-speech/{voice}/stream and
// Deepgram Aura /v1/speak. Both stream a tone whose length follows the text length.
#pragma once

#include <cstdint>
#include <string>

#include "tools/provider_sim/http_types.hpp"
#include "tools/provider_sim/services.hpp"

namespace sb::sim {

route_result handle_elevenlabs_tts(sim_services& s, const http_request& req,
                                   const std::string& voice_id, int64_t now);

route_result handle_deepgram_speak(sim_services& s, const http_request& req, int64_t now);

} // namespace sb::sim
