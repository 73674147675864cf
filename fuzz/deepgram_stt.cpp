// Deepgram live STT server messages (parse_deepgram_message), and the close reason the
// stream client builds from a close frame (close_reason_detail).
// A transcript's end lies within a stream (0 when unknown); an error always says why; a
// close detail starts with the code and holds no control character.
#include <string>
#include <string_view>
#include <variant>

#include "fuzz/check.hpp"
#include "net/codec/deepgram_stt_codec.hpp"

using namespace sb;
using namespace sb::codec;
using sb::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ev = parse_deepgram_message(text);
  if (auto* e = std::get_if<decode_error>(&ev))
    check(!e->reason.empty(), "an error without a reason");
  if (auto* t = std::get_if<stt_transcript>(&ev)) {
    check(t->id == 0, "a transcript with a stream id the codec cannot know");
    // The STT client turns end_s into a byte count of the stream (a cast to uint64_t).
    check(t->end_s >= 0 && t->end_s <= max_result_end_s, "a result's end out of range");
  }
  if (auto* i = std::get_if<stt_ignored>(&ev))
    check(i->type != "Results" && i->type != "SpeechStarted" && i->type != "UtteranceEnd",
          "a known message type was ignored");

  int code = size >= 2 ? (data[0] << 8 | data[1]) : 1000;
  auto detail = close_reason_detail(code, size >= 2 ? text.substr(2) : text);
  std::string prefix = std::to_string(code);
  check(detail.compare(0, prefix.size(), prefix) == 0, "close detail without its code");
  check(detail.size() <= prefix.size() + 1 + 123 + 3, "close detail too long");
  for (unsigned char c : detail)
    check(c >= 0x20 && c != 0x7F, "control character in a close detail");
  return 0;
}
