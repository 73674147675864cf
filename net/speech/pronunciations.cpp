#include "net/speech/pronunciations.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

#include <unistd.h>

namespace sb::speech {

word_list_result select_words(const std::string& dictionary_path,
                              const std::vector<std::string>& words) {
  word_list_result r;
  std::ifstream in{dictionary_path};
  if (!in) {
    r.error = "cannot read the dictionary '" + dictionary_path + "'";
    return r;
  }
  std::set<std::string> wanted{words.begin(), words.end()}, found;
  std::string line;
  while (std::getline(in, line)) {
    auto sp = line.find(' ');
    if (sp == std::string::npos)
      continue;
    auto w = line.substr(0, sp);
    if (auto paren = w.find('('); paren != std::string::npos)
      w = w.substr(0, paren);  // "read(2)": a second pronunciation
    if (wanted.count(w)) {
      found.insert(w);
      r.text += line;
      r.text += '\n';
    }
  }
  for (auto& w : wanted)
    if (!found.count(w))
      r.missing.push_back(w);
  return r;
}

temp_file::~temp_file() {
  if (!path_.empty())
    ::unlink(path_.c_str());
}

bool temp_file::write(const std::string& text, std::string& error) {
  const char* dir = std::getenv("TMPDIR");
  std::string templ = std::string(dir && *dir ? dir : "/tmp") + "/switchboard-dict-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  if (fd < 0) {
    error = "cannot create " + templ + ": " + std::strerror(errno);
    return false;
  }
  path_ = buf.data();
  size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      error = "cannot write " + path_ + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return true;
}

} // namespace sb::speech
