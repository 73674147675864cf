#include <catch2/catch.hpp>

#include "net/codec/sse_parser.hpp"

using namespace sb::codec;

namespace {

std::vector<std::string> feed_all(std::string_view text) {
  sse_parser p;
  std::vector<std::string> out;
  p.feed(text, out);
  return out;
}

std::vector<std::string> feed_bytewise(std::string_view text) {
  sse_parser p;
  std::vector<std::string> out;
  for (char c : text)
    p.feed(std::string_view{&c, 1}, out);
  return out;
}

using strings = std::vector<std::string>;

// protocols.md section 6, shortened.
const std::string openai_stream =
  ": keep-alive comment\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
  "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":20}}\n\n"
  "data: [DONE]\n\n";

} // namespace

TEST_CASE("sse: events of the OpenAI stream") {
  strings expected = {"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}",
                      "{\"choices\":[],\"usage\":{\"prompt_tokens\":20}}", "[DONE]"};
  CHECK(feed_all(openai_stream) == expected);
  CHECK(feed_bytewise(openai_stream) == expected);
}

TEST_CASE("sse: multi-line data, optional space, fields ignored") {
  CHECK(feed_all("data: a\ndata:b\ndata:  c\n\n") == strings{"a\nb\n c"});
  CHECK(feed_all("event: update\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n") == strings{"x"});
  CHECK(feed_all(":comment only\n\n") == strings{});
  CHECK(feed_all("event: ping\n\n") == strings{});  // no data line: no event
  CHECK(feed_all("data\n\n") == strings{""});        // field without colon
  CHECK(feed_all("data:\n\n") == strings{""});
  CHECK(feed_all("data:\ndata:\n\n") == strings{"\n"});
  CHECK(feed_all("data: x: y\n\n") == strings{"x: y"});
  CHECK(feed_all("datax: 1\n\n") == strings{});
}

TEST_CASE("sse: an unterminated event is not emitted") {
  sse_parser p;
  strings out;
  p.feed("data: one\n", out);
  CHECK(out.empty());
  p.feed("\n", out);
  CHECK(out == strings{"one"});
  p.feed("data: two", out);
  CHECK(out.size() == 1);
  CHECK(p.buffered() > 0);
}

TEST_CASE("sse: CRLF and CR line ends, also split across feeds") {
  const std::string crlf = "data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n";
  const std::string cr = "data: a\rdata: b\r\rdata: c\r\r";
  CHECK(feed_all(crlf) == strings{"a\nb", "c"});
  CHECK(feed_bytewise(crlf) == strings{"a\nb", "c"});
  CHECK(feed_all(cr) == strings{"a\nb", "c"});
  CHECK(feed_bytewise(cr) == strings{"a\nb", "c"});
  // A \r at the end of one feed and \n at the start of the next is one line end.
  sse_parser p;
  strings out;
  p.feed("data: a\r", out);
  p.feed("\ndata: b\r", out);
  p.feed("\n\r", out);
  p.feed("\n", out);
  CHECK(out == strings{"a\nb"});
}

TEST_CASE("sse: every split point of a stream gives the same events") {
  const std::string text = ": c\r\ndata: {\"a\":1}\n\ndata: x\rdata: y\r\n\r\nid: 3\ndata:[DONE]\n\n";
  const strings expected = {"{\"a\":1}", "x\ny", "[DONE]"};
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    sse_parser p;
    strings out;
    p.feed(std::string_view{text}.substr(0, cut), out);
    p.feed(std::string_view{text}.substr(cut), out);
    INFO("cut at " << cut);
    CHECK(out == expected);
  }
}

TEST_CASE("sse: UTF-8 and JSON escapes pass through untouched") {
  CHECK(feed_bytewise("data: h\xC3\xA9llo \\n\n\n") == strings{"h\xC3\xA9llo \\n"});
}

TEST_CASE("sse: the buffer cap stops the parser") {
  sse_parser p(64);
  strings out;
  p.feed("data: short\n\n", out);
  CHECK(out == strings{"short"});
  CHECK_FALSE(p.overflowed());
  p.feed("data: " + std::string(100, 'x'), out);
  CHECK(p.overflowed());
  CHECK(p.buffered() == 0);
  p.feed("\n\ndata: more\n\n", out);
  CHECK(out.size() == 1);  // nothing after the overflow

  // Many data lines of one event count too.
  sse_parser q(64);
  for (int i = 0; i < 20; ++i)
    q.feed("data: 0123456789\n", out);
  CHECK(q.overflowed());

  // Lines up to the cap are fine.
  sse_parser r(64);
  strings out2;
  r.feed("data: " + std::string(50, 'y') + "\n\n", out2);
  CHECK_FALSE(r.overflowed());
  CHECK(out2 == strings{std::string(50, 'y')});
}

TEST_CASE("sse: the default cap is 1 MiB") {
  sse_parser p;
  strings out;
  std::string big(512 * 1024, 'z');
  p.feed("data: " + big + "\n\n", out);
  CHECK_FALSE(p.overflowed());
  REQUIRE(out.size() == 1);
  CHECK(out[0].size() == big.size());
  p.feed("data: " + big + big, out);
  CHECK(p.overflowed());
}
