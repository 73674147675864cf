#include "tools/provider_sim/routes.hpp"

#include <nlohmann/json.hpp>

#include "tools/provider_sim/llm_openai.hpp"
#include "tools/provider_sim/provider_errors.hpp"
#include "tools/provider_sim/tts.hpp"

namespace sb::sim {

namespace {

using json = nlohmann::ordered_json;

route_result plain(http_reply r) {
  return {std::move(r), {}};
}

http_reply method_not_allowed(const http_request& req) {
  return json_reply(405, {{"error", "method_not_allowed"},
                          {"message", req.method + " is not allowed on " + req.path}});
}

route_result sim_faults(sim_services& s, const http_request& req) {
  if (req.method == "POST") {
    auto patch = nlohmann::json::parse(req.body, nullptr, false); // sorted: "all" first
    std::string err = patch.is_discarded() ? "body is not JSON" : s.faults.apply(patch);
    if (!err.empty()) return plain(json_reply(400, {{"error", err}}));
  }
  return plain(json_reply(200, s.faults.to_json()));
}

// "/v1/text-to-speech/{voice}/stream" or "/v1/text-to-speech/{voice}" -> voice, else "".
std::string elevenlabs_voice(const std::string& path) {
  static const std::string prefix = "/v1/text-to-speech/";
  if (path.compare(0, prefix.size(), prefix) != 0) return {};
  std::string rest = path.substr(prefix.size());
  auto slash = rest.find('/');
  if (slash != std::string::npos && rest.substr(slash) != "/stream") return {};
  return rest.substr(0, slash);
}

} // namespace

json stats_json(const sim_services& s) {
  json j = s.counters.to_json();
  j["faults"] = s.faults.to_json();
  j["http"] = {{"requests", s.http_requests}, {"connections", s.http_connections}};
  j["stt_audio"] = {{"messages", s.stt_audio_messages}, {"bytes", s.stt_audio_bytes}};
  return j;
}

route_result route_http(sim_services& s, const http_request& req, int64_t now) {
  const bool post = req.method == "POST";
  const bool get = req.method == "GET";
  if (req.path == "/v1/chat/completions")
    return post ? handle_chat_completions(s, req, now) : plain(method_not_allowed(req));
  if (req.path == "/v1/speak")
    return post ? handle_deepgram_speak(s, req, now) : plain(method_not_allowed(req));
  if (auto voice = elevenlabs_voice(req.path); !voice.empty())
    return post ? handle_elevenlabs_tts(s, req, voice, now)
                : plain(method_not_allowed(req));

  if (req.path == "/sim/stats")
    return get ? plain(json_reply(200, stats_json(s))) : plain(method_not_allowed(req));
  if (req.path == "/sim/reset") {
    if (!post) return plain(method_not_allowed(req));
    s.counters.reset();
    s.http_requests = s.http_connections = 0;
    s.stt_audio_messages = s.stt_audio_bytes = 0;
    s.llm_requests.clear();
    return plain(json_reply(200, stats_json(s)));
  }
  if (req.path == "/sim/llm/requests") {
    // The messages of the last LLM requests, oldest first: what each conversation held.
    if (!get) return plain(method_not_allowed(req));
    json list = json::array();
    for (auto& m : s.llm_requests)
      list.push_back(json::parse(m, nullptr, false));
    return plain(json_reply(200, {{"requests", std::move(list)}}));
  }
  if (req.path == "/sim/faults")
    return post || get ? sim_faults(s, req) : plain(method_not_allowed(req));
  if (req.path == "/sim/stt/drop") {
    // What a provider-side failure looks like to the client: every open STT stream is
    // closed with 1011 on the next tick.
    if (!post) return plain(method_not_allowed(req));
    s.drop_stt = true;
    return plain(json_reply(200, {{"dropping", true}}));
  }
  if (req.path == "/sim/health") return plain(json_reply(200, {{"status", "ok"}}));
  return plain(not_found_reply(req.method, req.path));
}

} // namespace sb::sim
