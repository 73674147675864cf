// Error replies in each provider's own wire format (see protocols.md sections 3-6).
#pragma once

#include <string>

#include "tools/provider_sim/http_types.hpp"

namespace sb::sim {

// Deepgram: {"err_code","err_msg","request_id"} plus dg-request-id / dg-error headers.
http_reply deepgram_error(unsigned status, const std::string& err_code,
                          const std::string& err_msg, const std::string& request_id);

// OpenAI: {"error":{"message","type","param":null,"code"}}; code may be null (nullptr).
http_reply openai_error(unsigned status, const std::string& message, const char* type,
                        const char* code);

// ElevenLabs: {"detail":{"status","message"}}.
http_reply elevenlabs_error(unsigned status, const std::string& status_text,
                            const std::string& message);

// 404 for paths no simulated provider serves.
http_reply not_found_reply(const std::string& method, const std::string& path);

} // namespace sb::sim
