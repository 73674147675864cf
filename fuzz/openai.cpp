// OpenAI chat-completion stream chunks (parse_openai_chunk): one SSE event's data.
// An error says why; [DONE] (with any surrounding whitespace) ends the stream; a delta or
// a usage comes only from a JSON object. The request body we build from the chunk's
// text is valid JSON and carries the text (invalid UTF-8 replaced).
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "fuzz/check.hpp"
#include "net/codec/openai_codec.hpp"

using namespace sb;
using namespace sb::codec;
using sb::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ev = parse_openai_chunk(text);
  if (auto* e = std::get_if<decode_error>(&ev))
    check(!e->reason.empty(), "an error without a reason");
  if (std::holds_alternative<llm_stream_end>(ev))
    check(text.find("[DONE]") != std::string_view::npos, "stream end without [DONE]");
  if (auto* d = std::get_if<llm_delta>(&ev)) {
    // The reply text goes back into the next request as the assistant's turn.
    std::vector<chat_message> msgs{{"assistant", d->text}};
    auto body = openai_chat_body("gpt-4o-mini", msgs, 200);
    auto j = nlohmann::json::parse(body, nullptr, false);
    check(!j.is_discarded(), "a request body that is not JSON");
    check(j["messages"][0]["content"].get<std::string>() == d->text,
          "the reply text changed on its way into a request");
  }
  return 0;
}
