#include "tools/provider_sim/http_types.hpp"

#include <strings.h>

#include <nlohmann/json.hpp>

namespace sb::sim {

void piece_list::add(int64_t due_us, std::string data) {
  total_ += data.size();
  pieces_.emplace_back(due_us, std::move(data));
}

int64_t piece_list::next_due() const {
  return pieces_.empty() ? never : pieces_.front().first;
}

std::string piece_list::take() {
  std::string s = std::move(pieces_.front().second);
  pieces_.pop_front();
  return s;
}

http_reply json_reply(unsigned status, const nlohmann::ordered_json& body) {
  http_reply r;
  r.status = status;
  auto pieces = std::make_unique<piece_list>();
  pieces->add(0, body.dump());
  r.body = std::move(pieces);
  return r;
}

std::string auth_token(const std::string& header, const char* scheme) {
  size_t n = std::char_traits<char>::length(scheme);
  if (header.size() <= n + 1 || strncasecmp(header.c_str(), scheme, n) != 0 ||
      header[n] != ' ')
    return {};
  size_t start = header.find_first_not_of(' ', n);
  size_t end = header.find_last_not_of(" \t");
  if (start == std::string::npos) return {};
  return header.substr(start, end - start + 1);
}

} // namespace sb::sim
