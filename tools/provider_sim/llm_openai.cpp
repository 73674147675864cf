#include "tools/provider_sim/llm_openai.hpp"

#include <ctime>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/provider_sim/provider_errors.hpp"

namespace sb::sim {

namespace {

using json = nlohmann::ordered_json;

constexpr unsigned requests_per_minute = 10000;
constexpr unsigned tokens_per_minute = 2000000;

// Text of a message: a string, or the text parts of a content array.
std::string message_text(const json& msg) {
  auto it = msg.find("content");
  if (it == msg.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  std::string out;
  if (it->is_array())
    for (const auto& part : *it)
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
          part["text"].is_string())
        out += (out.empty() ? "" : " ") + part["text"].get<std::string>();
  return out;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;)
    words.push_back(std::move(w));
  return words;
}

// "You said: <last user text>. That is noted. What else can I do for you?"
std::string scripted_reply(const json& messages) {
  std::string said;
  for (const auto& m : messages)
    if (m.is_object() && m.value("role", "") == "user") said = message_text(m);
  std::string flat;
  for (const auto& w : split_words(said))
    flat += (flat.empty() ? "" : " ") + w;
  while (!flat.empty() &&
         (flat.back() == '.' || flat.back() == '!' || flat.back() == '?'))
    flat.pop_back();
  if (flat.empty()) flat = "nothing";
  return "You said: " + flat + ". That is noted. What else can I do for you?";
}

// Word tokens; every token after the first carries its leading space.
std::vector<std::string> tokenize(const std::string& text) {
  auto words = split_words(text);
  for (size_t i = 1; i < words.size(); ++i)
    words[i] = " " + words[i];
  return words;
}

unsigned prompt_tokens(const json& messages) {
  unsigned n = 0;
  for (const auto& m : messages)
    n += 3 + unsigned(split_words(m.is_object() ? message_text(m) : "").size());
  return n;
}

void add_openai_headers(http_reply& r, sim_services& s, uint64_t in_flight) {
  uint64_t left = in_flight >= requests_per_minute ? 0 : requests_per_minute - in_flight;
  r.header("x-request-id", "req_sim" + std::to_string(s.ids.next_number()));
  r.header("openai-processing-ms", std::to_string(s.cfg.llm_first_token_ms));
  r.header("x-ratelimit-limit-requests", std::to_string(requests_per_minute));
  r.header("x-ratelimit-remaining-requests", std::to_string(left));
  r.header("x-ratelimit-reset-requests", "6ms");
  r.header("x-ratelimit-limit-tokens", std::to_string(tokens_per_minute));
  r.header("x-ratelimit-remaining-tokens", std::to_string(tokens_per_minute - 1000));
  r.header("x-ratelimit-reset-tokens", "30ms");
}

http_reply rate_limited(const std::string& model) {
  auto r = openai_error(429,
                        "Rate limit reached for " + model +
                            " in organization org-sim on requests per min (RPM): "
                            "Limit 3, Used 3, Requested 1. Please try again in 1s.",
                        "requests", "rate_limit_exceeded");
  r.header("retry-after", "1");
  r.header("retry-after-ms", "1000");
  return r;
}

struct completion {
  std::string id, model;
  int64_t created = 0;
  std::vector<std::string> tokens;
  const char* finish_reason = "stop";
  unsigned prompt_tokens = 0;
  bool include_usage = false;

  json usage() const {
    auto c = unsigned(tokens.size());
    return {{"prompt_tokens", prompt_tokens},
            {"completion_tokens", c},
            {"total_tokens", prompt_tokens + c}};
  }
  std::string sse(json choices, bool last_usage = false) const {
    json j = {{"id", id},
              {"object", "chat.completion.chunk"},
              {"created", created},
              {"model", model},
              {"system_fingerprint", "fp_sim"},
              {"choices", std::move(choices)}};
    if (include_usage) j["usage"] = last_usage ? usage() : json(nullptr);
    return "data: " + j.dump() + "\n\n";
  }
  json delta_choice(json delta, const char* finish) const {
    return json::array({{{"index", 0},
                         {"delta", std::move(delta)},
                         {"logprobs", nullptr},
                         {"finish_reason", finish ? json(finish) : json(nullptr)}}});
  }
};

http_reply stream_reply(const completion& c, int64_t first, int64_t interval) {
  http_reply r;
  r.content_type = "text/event-stream";
  r.chunked = true;
  r.header("cache-control", "no-cache");
  auto body = std::make_unique<piece_list>();
  body->add(first, c.sse(c.delta_choice(
                       {{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}},
                       nullptr)));
  int64_t t = first;
  for (size_t i = 0; i < c.tokens.size(); ++i) {
    t = first + int64_t(i) * interval;
    body->add(t, c.sse(c.delta_choice({{"content", c.tokens[i]}}, nullptr)));
  }
  body->add(t, c.sse(c.delta_choice(json::object(), c.finish_reason)));
  if (c.include_usage) body->add(t, c.sse(json::array(), true));
  body->add(t, "data: [DONE]\n\n");
  r.body = std::move(body);
  return r;
}

http_reply whole_reply(const completion& c, int64_t done) {
  std::string text;
  for (const auto& t : c.tokens)
    text += t;
  json j = {
      {"id", c.id},
      {"object", "chat.completion"},
      {"created", c.created},
      {"model", c.model},
      {"system_fingerprint", "fp_sim"},
      {"choices",
       json::array({{{"index", 0},
                     {"message",
                      {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}}},
                     {"logprobs", nullptr},
                     {"finish_reason", c.finish_reason}}})},
      {"usage", c.usage()}};
  std::string s = j.dump();
  http_reply r;
  auto body = std::make_unique<piece_list>();
  body->add(done, s.substr(0, s.size() / 2)); // two pieces so "close" can cut mid-body
  body->add(done, s.substr(s.size() / 2));
  r.body = std::move(body);
  return r;
}

route_result make_completion(sim_services& s, const json& req, lease slot, int64_t now) {
  completion c;
  c.id = "chatcmpl-sim" + std::to_string(s.ids.next_number());
  c.model = req["model"].get<std::string>();
  c.created = int64_t(std::time(nullptr));
  s.llm_requests.push_back(req["messages"].dump());
  if (s.llm_requests.size() > sim_services::llm_requests_kept)
    s.llm_requests.pop_front();
  c.tokens = tokenize(scripted_reply(req["messages"]));
  c.prompt_tokens = prompt_tokens(req["messages"]);
  for (const char* k : {"max_completion_tokens", "max_tokens"}) {
    auto it = req.find(k);
    if (it != req.end() && it->is_number_integer() && it->get<int64_t>() > 0 &&
        size_t(it->get<int64_t>()) < c.tokens.size()) {
      c.tokens.resize(size_t(it->get<int64_t>()));
      c.finish_reason = "length";
    }
  }
  bool stream = req.value("stream", false);
  auto opts = req.find("stream_options");
  c.include_usage =
      opts != req.end() && opts->is_object() && opts->value("include_usage", false);

  int64_t first = now + ms_to_us(s.cfg.llm_first_token_ms);
  int64_t interval = ms_to_us(s.cfg.llm_token_interval_ms);
  int64_t last = first + int64_t(c.tokens.empty() ? 0 : c.tokens.size() - 1) * interval;
  route_result out{stream ? stream_reply(c, first, interval) : whole_reply(c, last),
                   std::move(slot)};
  auto fault = s.faults.get(fault_target::llm);
  if (fault == fault_mode::close) out.reply.cut_after = stream ? 2 : 1;
  out.reply.hang = fault == fault_mode::hang;
  return out;
}

} // namespace

route_result handle_chat_completions(sim_services& s, const http_request& req,
                                     int64_t now) {
  std::string key = auth_token(req.authorization, "Bearer");
  auto finish = [&](http_reply r, lease slot = {}) {
    add_openai_headers(r, s, s.counters.current(api::llm, key));
    return route_result{std::move(r), std::move(slot)};
  };
  if (key.empty() && s.cfg.require_key)
    return finish(openai_error(401,
                               "Incorrect API key provided. You can find your API key at "
                               "https://platform.openai.com/account/api-keys.",
                               "invalid_request_error", "invalid_api_key"));
  if (key.empty()) key = "anonymous";

  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return finish(openai_error(400,
                               "We could not parse the JSON body of your request. (HINT: "
                               "This likely means you aren't using your HTTP library "
                               "correctly.)",
                               "invalid_request_error", nullptr));
  if (!body.contains("messages") || !body["messages"].is_array() ||
      body["messages"].empty())
    return finish(openai_error(400,
                               "'messages' is a required property and must be a "
                               "non-empty array",
                               "invalid_request_error", nullptr));
  if (!body.contains("model") || !body["model"].is_string())
    return finish(openai_error(400, "you must provide a model parameter",
                               "invalid_request_error", nullptr));

  auto model = body["model"].get<std::string>();
  auto fault = s.faults.get(fault_target::llm);
  if (fault == fault_mode::http500)
    return finish(openai_error(500,
                               "The server had an error while processing your "
                               "request. Sorry about that!",
                               "server_error", nullptr));
  if (fault == fault_mode::http429) return finish(rate_limited(model));
  lease slot = s.counters.acquire(api::llm, key, s.cfg.llm_limit);
  if (!slot) return finish(rate_limited(model));
  auto out = make_completion(s, body, std::move(slot), now);
  add_openai_headers(out.reply, s, s.counters.current(api::llm, key));
  return out;
}

} // namespace sb::sim
