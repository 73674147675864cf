#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "net/codec/openai_codec.hpp"
#include "net/codec/sse_parser.hpp"

using namespace sb;
using namespace sb::codec;
using Catch::Matchers::Contains;

namespace {

template <class T>
T expect(std::string_view data) {
  auto ev = parse_openai_chunk(data);
  if (auto* err = std::get_if<decode_error>(&ev))
    FAIL("unexpected decode_error: " << err->reason);
  REQUIRE(std::holds_alternative<T>(ev));
  return std::get<T>(ev);
}

std::string expect_error(std::string_view data) {
  auto ev = parse_openai_chunk(data);
  if (!std::holds_alternative<decode_error>(ev))
    FAIL("expected a decode_error for " << data);
  return std::get<decode_error>(ev).reason;
}

} // namespace

TEST_CASE("openai: request body") {
  std::vector<chat_message> msgs = {{"system", "Be brief."}, {"user", "Hi \"there\"\n"}};
  CHECK(openai_chat_body("gpt-4o-mini", msgs, 200) ==
        R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},)"
        R"({"role":"user","content":"Hi \"there\"\n"}],"stream":true,)"
        R"("stream_options":{"include_usage":true},"max_completion_tokens":200})");
  auto j = nlohmann::json::parse(openai_chat_body("m", {}, 0));
  CHECK(j["messages"].is_array());
  CHECK(j["messages"].empty());
  CHECK_FALSE(j.contains("max_completion_tokens"));
}

TEST_CASE("openai: invalid UTF-8 in a message does not break the body") {
  std::vector<chat_message> msgs = {{"user", std::string("caf\xC3", 4)}};
  auto body = openai_chat_body("m", msgs, 10);
  REQUIRE_FALSE(body.empty());
  auto j = nlohmann::json::parse(body);
  CHECK(j["messages"][0]["content"] == "caf\xEF\xBF\xBD");  // U+FFFD
}

TEST_CASE("openai: the documented stream, through the SSE parser") {
  const std::string stream =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
    "\"model\":\"..\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
    ": comment\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},"
    "\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,"
    "\"completion_tokens\":5,\"total_tokens\":25}}\n\n"
    "data: [DONE]\n\n";
  sse_parser p;
  std::vector<std::string> events;
  p.feed(stream, events);
  REQUIRE(events.size() == 5);

  auto d0 = expect<llm_delta>(events[0]);
  CHECK(d0.text.empty());
  CHECK(d0.finish_reason.empty());
  CHECK_FALSE(d0.usage);
  auto d1 = expect<llm_delta>(events[1]);
  CHECK(d1.text == "Hi");
  auto d2 = expect<llm_delta>(events[2]);
  CHECK(d2.text.empty());
  CHECK(d2.finish_reason == "stop");
  auto u = expect<llm_usage>(events[3]);
  CHECK(u.prompt_tokens == 20);
  CHECK(u.completion_tokens == 5);
  expect<llm_stream_end>(events[4]);
}

TEST_CASE("openai: other chunk shapes") {
  expect<llm_stream_end>(" [DONE] ");
  // Usage on the last choice chunk (some compatible servers).
  auto d = expect<llm_delta>(R"({"choices":[{"delta":{"content":"."},"finish_reason":)"
                             R"("length"}],"usage":{"prompt_tokens":3,"completion_tokens":4}})");
  CHECK(d.text == ".");
  CHECK(d.finish_reason == "length");
  REQUIRE(d.usage);
  CHECK(d.usage->prompt_tokens == 3);
  CHECK(d.usage->completion_tokens == 4);
  // Null usage is no usage.
  CHECK_FALSE(expect<llm_delta>(R"({"choices":[{"delta":{"content":"a"}}],"usage":null})").usage);
  // Tool-call fragments have no text.
  CHECK(expect<llm_delta>(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":)"
                          R"({"arguments":"{\""}}]}}]})")
          .text.empty());
  CHECK(expect<llm_delta>(R"({"choices":[{"delta":{"content":null}}]})").text.empty());
  CHECK(expect<llm_delta>(R"({"choices":[{"finish_reason":"stop"}]})").finish_reason == "stop");
}

TEST_CASE("openai: mid-stream errors") {
  CHECK(expect<llm_api_error>(R"({"error":{"message":"The server had an error","type":)"
                              R"("server_error","param":null,"code":null}})")
          .message == "The server had an error");
  CHECK(expect<llm_api_error>(R"({"error":"overloaded"})").message == "overloaded");
  CHECK_THAT(expect<llm_api_error>(R"({"error":{"code":500}})").message, Contains("500"));
}

TEST_CASE("openai: malformed chunks") {
  CHECK_THAT(expect_error("{\"choices\":["), Contains("invalid JSON at byte"));
  CHECK_THAT(expect_error(""), Contains("invalid JSON"));
  CHECK(expect_error("[1]") == "chunk is not a JSON object");
  CHECK(expect_error("{}") == "missing field 'choices'");
  CHECK(expect_error(R"({"choices":[]})") == "chunk has no choices and no usage");
  CHECK(expect_error(R"({"choices":{}})") == "field 'choices' is not an array");
  CHECK(expect_error(R"({"choices":[1]})") == "field 'choices[0]' is not an object");
  CHECK(expect_error(R"({"choices":[{"delta":"x"}]})") ==
        "field 'choices[0].delta' is not an object");
  CHECK(expect_error(R"({"choices":[{"delta":{"content":5}}]})") ==
        "field 'choices[0].delta.content' is not a string");
  CHECK(expect_error(R"({"choices":[{"finish_reason":1}]})") ==
        "field 'choices[0].finish_reason' is not a string");
  CHECK(expect_error(R"({"choices":[],"usage":{"prompt_tokens":"20"}})") ==
        "field 'usage.prompt_tokens' is not a non-negative integer");
  CHECK(expect_error(R"({"choices":[],"usage":{"completion_tokens":-1}})") ==
        "field 'usage.completion_tokens' is not a non-negative integer");
  CHECK(expect_error(R"({"choices":[],"usage":[]})") == "field 'usage' is not an object");
}

TEST_CASE("openai: error details") {
  CHECK(openai_error_detail(
          429, R"({"error":{"message":"Rate limit reached for gpt-4o-mini on requests per )"
               R"(min. Please try again in 41.7s.","type":"requests","param":null,"code":)"
               R"("rate_limit_exceeded"}})") ==
        "429 rate_limit_exceeded: Rate limit reached for gpt-4o-mini on requests per min. "
        "Please try again in 41.7s.");
  CHECK(openai_error_detail(429, R"({"error":{"message":"You exceeded your current quota.",)"
                                 R"("type":"insufficient_quota","code":"insufficient_quota"}})") ==
        "429 insufficient_quota: You exceeded your current quota.");
  // code null: the type.
  CHECK(openai_error_detail(401, R"({"error":{"message":"Incorrect API key provided",)"
                                 R"("type":"invalid_request_error","code":null}})") ==
        "401 invalid_request_error: Incorrect API key provided");
  CHECK(openai_error_detail(500, R"({"error":"boom"})") == "500: boom");
  CHECK(openai_error_detail(502, "<html>Bad Gateway</html>") == "502: <html>Bad Gateway</html>");
  CHECK(openai_error_detail(503, "") == "503");
  CHECK(openai_error_detail(400, R"({"detail":"x"})") == R"(400: {"detail":"x"})");
}

TEST_CASE("openai: truncated and mutated chunks never throw") {
  const std::string chunk =
    R"({"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],)"
    R"("usage":{"prompt_tokens":20,"completion_tokens":5},"error":null})";
  for (size_t n = 0; n <= chunk.size(); ++n)
    CHECK_NOTHROW(parse_openai_chunk(chunk.substr(0, n)));
  for (size_t i = 0; i < chunk.size(); ++i)
    for (char r : {'\xFF', '1', '"'}) {
      std::string m = chunk;
      m[i] = r;
      CHECK_NOTHROW(parse_openai_chunk(m));
      CHECK_NOTHROW(openai_error_detail(500, m));
    }
}

TEST_CASE("openai: an error object nested a million levels deep is a decode error") {
  // A mid-stream error without a message is logged as its JSON text; printing a million
  // levels overflowed the stack (nlohmann's dump() recurses per level). The SSE parser
  // lets events of up to 1 MB through.
  const size_t depth = 500000;
  std::string chunk = R"({"error":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  CHECK_THAT(expect_error(chunk), Contains("nested deeper than 64 levels"));
  CHECK_THAT(openai_error_detail(500, chunk), Contains("500"));
}
