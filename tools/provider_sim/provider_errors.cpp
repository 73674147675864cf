#include "tools/provider_sim/provider_errors.hpp"

#include <nlohmann/json.hpp>

namespace sb::sim {

http_reply deepgram_error(unsigned status, const std::string& err_code,
                          const std::string& err_msg, const std::string& request_id) {
  auto r = json_reply(
      status, {{"err_code", err_code}, {"err_msg", err_msg}, {"request_id", request_id}});
  r.header("dg-request-id", request_id);
  r.header("dg-error", err_msg);
  return r;
}

http_reply openai_error(unsigned status, const std::string& message, const char* type,
                        const char* code) {
  nlohmann::ordered_json err = {
      {"message", message},
      {"type", type},
      {"param", nullptr},
      {"code", code ? nlohmann::ordered_json(code) : nlohmann::ordered_json(nullptr)}};
  return json_reply(status, {{"error", std::move(err)}});
}

http_reply elevenlabs_error(unsigned status, const std::string& status_text,
                            const std::string& message) {
  return json_reply(status,
                    {{"detail", {{"status", status_text}, {"message", message}}}});
}

http_reply not_found_reply(const std::string& method, const std::string& path) {
  return json_reply(404,
                    {{"error", "not_found"},
                     {"message", "no simulated endpoint for " + method + " " + path}});
}

} // namespace sb::sim
