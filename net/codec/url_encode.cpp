#include "net/codec/url_encode.hpp"

namespace sb::codec {

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                      c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0x0F];
    }
  }
  return out;
}

std::string join_path(std::string_view base_path, std::string_view path) {
  while (!base_path.empty() && base_path.back() == '/')
    base_path.remove_suffix(1);
  std::string out{base_path};
  out += path;
  return out;
}

} // namespace sb::codec
