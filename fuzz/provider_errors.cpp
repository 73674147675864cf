// The error bodies providers answer with (net/codec error details): OpenAI, Deepgram
// (STT and Aura), ElevenLabs. The first two bytes are the HTTP status, then the body;
// for Deepgram the body's first line is the dg-error header.
// Every detail starts with the status, holds no control character and stays short
// (status, an 80-byte code and a 300-byte message, each cut with "...").
#include <string>
#include <string_view>

#include "fuzz/check.hpp"
#include "net/codec/deepgram_stt_codec.hpp"
#include "net/codec/error_detail.hpp"
#include "net/codec/openai_codec.hpp"
#include "net/codec/tts_codec.hpp"

using namespace sb::codec;
using sb::fuzz::check;

namespace {

// Well-formed UTF-8 in the sense that matters for a cut: every lead byte is followed by
// as many continuation bytes as it announces.
bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
             : (c & 0xF8) == 0xF0 ? 3 : 9;
    if (n == 9 || i + n >= s.size())
      return false;
    for (size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
        return false;
    i += n + 1;
  }
  return true;
}

void check_detail(const std::string& d, int status) {
  std::string prefix = std::to_string(status);
  check(d.compare(0, prefix.size(), prefix) == 0, "a detail without its status");
  check(d.size() <= prefix.size() + 1 + 80 + 3 + 2 + max_detail_chars + 3 + 32,
        "a detail too long for a log line");
  for (unsigned char c : d)
    check(c >= 0x20 && c != 0x7F, "a control character in a detail");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  int status = 100 + (data[0] << 8 | data[1]) % 500;
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  check_detail(openai_error_detail(status, body), status);
  check_detail(elevenlabs_error_detail(status, body), status);
  auto nl = body.find('\n');
  std::string_view header = nl == std::string_view::npos ? std::string_view{} : body.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? body : body.substr(nl + 1);
  check_detail(deepgram_error_detail(status, header, rest), status);

  // clean_text on its own: cut on a character boundary, never longer than asked.
  size_t max = data[0] % 64;
  auto c = clean_text(body, max);
  check(c.size() <= max + 3, "clean_text longer than its limit");
  if (c.size() > max) {
    check(c.compare(c.size() - 3, 3, "...") == 0, "a cut without '...'");
    if (valid_utf8(body))
      check(valid_utf8(std::string_view(c).substr(0, c.size() - 3)),
            "cut inside a UTF-8 character");
  }
  return 0;
}
