// The text/event-stream parser (sse_parser), as OpenAI streams reach it: bytes split
// anywhere. The first byte of the input chooses the split points (a seed for them); the
// rest is the stream.
// - Fed in pieces, the parser yields exactly the events (and overflows exactly when) it
//   does for the whole stream at once.
// - It never holds more than its limit; once overflowed it yields nothing more.
// - Each event is what the data lines said: no line ends inside but the joining '\n'.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/check.hpp"
#include "net/codec/sse_parser.hpp"

using namespace sb::codec;
using sb::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  unsigned seed = data[0];
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr size_t limit = 512;

  sse_parser whole(limit);
  std::vector<std::string> all;
  whole.feed(stream, all);
  check(whole.buffered() <= limit, "held more than its limit");

  sse_parser pieces(limit);
  std::vector<std::string> split;
  size_t at = 0;
  while (at < stream.size()) {
    size_t n = 1 + (seed % 7);
    seed = seed * 1103515245u + 12345u;
    n = std::min(n, stream.size() - at);
    pieces.feed(stream.substr(at, n), split);
    check(pieces.buffered() <= limit, "held more than its limit (pieces)");
    at += n;
  }
  check(whole.overflowed() == pieces.overflowed(), "overflow depends on the split");
  check(all == split, "events depend on how the bytes were split");
  size_t before = split.size();
  pieces.feed("\n\ndata: x\n\n", split);
  if (pieces.overflowed())
    check(split.size() == before && pieces.buffered() == 0, "an event after overflowing");
  else
    check(split.size() > before, "a complete event was not yielded");
  for (auto& e : all)
    check(e.find('\r') == std::string::npos, "a carriage return inside an event");
  return 0;
}
