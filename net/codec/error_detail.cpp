#include "net/codec/error_detail.hpp"

namespace sb::codec {

std::string clean_text(std::string_view text, size_t max) {
  std::string out;
  out.reserve(text.size() < max ? text.size() : max);
  bool pending_space = false;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F || c == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    out += ch;
  }
  if (out.size() <= max)
    return out;
  size_t cut = max;
  // Do not cut inside a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
    --cut;
  out.resize(cut);
  out += "...";
  return out;
}

std::string format_detail(int status, std::string_view code, std::string_view message) {
  std::string c = clean_text(code, 80);
  std::string m = clean_text(message);
  std::string out;
  if (status > 0)
    out = std::to_string(status);
  if (!c.empty()) {
    if (!out.empty())
      out += ' ';
    out += c;
  }
  if (!m.empty()) {
    if (!out.empty())
      out += ": ";
    out += m;
  }
  return out;
}

} // namespace sb::codec
