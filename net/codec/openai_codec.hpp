// OpenAI-compatible Chat Completions, streamed (protocols.md section 6): the request body,
// one SSE `data:` payload -> one event, and error bodies. No exception escapes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "messages/ports.hpp"
#include "net/codec/decode_error.hpp"

namespace sb::codec {

// {"model":..,"messages":[{"role","content"}..],"stream":true,
//  "stream_options":{"include_usage":true},"max_completion_tokens":N}
// (max_completion_tokens omitted when max_tokens is 0). Invalid UTF-8 in the text is
// replaced by U+FFFD rather than failing.
std::string openai_chat_body(std::string_view model, const std::vector<chat_message>& msgs,
                             uint32_t max_tokens);

struct llm_usage {
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
};

// choices[0]: delta.content ("" when absent or null, e.g. the first role-only delta or a
// tool-call fragment: callers skip empty text) and finish_reason ("" while streaming).
struct llm_delta {
  std::string text;
  std::string finish_reason;
  // Some OpenAI-compatible servers put `usage` on the last choice chunk instead of a
  // separate chunk with empty choices; it is kept here then.
  std::optional<llm_usage> usage;
};

struct llm_stream_end {};  // data: [DONE]

struct llm_api_error {  // a mid-stream {"error":{...}}
  std::string message;
};

using llm_event = std::variant<llm_delta, llm_usage, llm_stream_end, llm_api_error,
                               decode_error>;

// One SSE event's data (what sse_parser yields).
llm_event parse_openai_chunk(std::string_view data);

// For a non-2xx answer: "429 rate_limit_exceeded: Rate limit reached..." (the error's
// `code`, else its `type`; then its `message`). Non-JSON bodies are quoted, shortened.
std::string openai_error_detail(int status, std::string_view body);

} // namespace sb::codec
