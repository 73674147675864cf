// The INI config loader (runtime/config: load_config, render_config). The input is a
// cluster.ini; lines after a "#--set" line are --set overrides (SECTION.KEY=VALUE).
// - Every error names a file ("--set" for an override) and a line within the input.
// - A config that loads renders as INI that loads again, without errors, into the same
//   config (render(load(render(c))) == render(c)); the secret and a PostgreSQL URI's
//   password, which render as "<set>", are written back as themselves.
// - The secret never appears in an error message (when it could only come from its own
//   line: see distinctive()).
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/check.hpp"
#include "net/store/uri_password.hpp"
#include "runtime/config/config.hpp"

using sb::fuzz::check;

namespace {

// One file per process, removed when the fuzzer exits normally (after a crash it holds
// the last config loaded).
struct scratch_file {
  std::string path = "/tmp/sb-fuzz-config-" + std::to_string(getpid()) + ".ini";
  ~scratch_file() { std::remove(path.c_str()); }
};

const std::string& path() {
  static const scratch_file f;
  return f.path;
}

void write_file(std::string_view text) {
  FILE* f = std::fopen(path().c_str(), "wb");
  check(f != nullptr, "cannot write the config file");
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

// A secret that can only reach an error message from its own line: it occurs once in
// the input, and it is a token no message text holds by itself (8 or more letters and
// digits, with an upper-case letter and a digit; the schema's names are lower case).
bool distinctive(const std::string& secret, std::string_view input) {
  if (secret.size() < 8)
    return false;
  bool upper = false, digit = false;
  for (unsigned char c : secret) {
    if (!std::isalnum(c))
      return false;
    upper |= std::isupper(c) != 0;
    digit |= std::isdigit(c) != 0;
  }
  auto first = input.find(secret);
  return upper && digit && first != std::string_view::npos &&
         input.find(secret, first + 1) == std::string_view::npos;
}

int lines_of(std::string_view text) {
  int n = 1;
  for (char c : text)
    n += c == '\n';
  return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view file = in;
  std::vector<std::string> overrides;
  if (auto at = in.find("\n#--set\n"); at != std::string_view::npos) {
    file = in.substr(0, at);
    std::string_view rest = in.substr(at + 8);
    while (!rest.empty() && overrides.size() < 16) {
      auto nl = rest.find('\n');
      overrides.emplace_back(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    }
  }
  write_file(file);
  auto r = sb::load_config(path(), overrides);
  const std::string& secret = r.config.cluster.secret;
  // The secret as loaded, and what any line that starts with "secret" would set it to
  // (a malformed line, a repeated key, the key in another section, an override).
  std::vector<std::string> secrets{secret};
  for (std::string_view rest = in; !rest.empty();) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      line.remove_prefix(1);
    if (line.rfind("secret", 0) != 0 && line.rfind("cluster.secret", 0) != 0)
      continue;
    // "secret = X", "secret: X", or "secret X" on a line without a separator (a
    // forgotten '='); not "secretX" nor "secret X = 1" (a key that holds text).
    line.remove_prefix(line.find("secret") + 6);
    bool separated = line.find_first_of("=:") != std::string_view::npos;
    size_t spaces = 0;
    while (spaces < line.size() && (line[spaces] == ' ' || line[spaces] == '\t'))
      ++spaces;
    if (spaces == line.size() ||
        (separated ? line[spaces] != '=' && line[spaces] != ':' : spaces == 0))
      continue;
    line.remove_prefix(spaces + (separated ? 1 : 0));
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      line.remove_prefix(1);
    secrets.emplace_back(line.substr(0, line.find_first_of(" \t\r;")));
  }
  for (auto& e : r.errors) {
    check(!e.message.empty(), "an error without a message");
    if (e.file == "--set")
      check(e.line >= 1 && e.line <= int(overrides.size()), "an override error's index");
    else
      check(e.file == path() && e.line >= 0 && e.line <= lines_of(file),
            "an error's line is not in the file");
    for (auto& sec : secrets)
      if (distinctive(sec, in) && e.message.find(sec) != std::string::npos) {
        std::fprintf(stderr, "secret '%s' in: %s\n", sec.c_str(), e.to_string().c_str());
        check(false, "the secret in an error");
      }
  }
  if (!r.ok())
    return 0;

  std::string text = sb::render_config(r.config);
  std::string again = text;
  if (!secret.empty()) {
    auto at = again.find("\nsecret = <set>\n");
    check(at != std::string::npos, "a set secret does not render as <set>");
    again.replace(at, 16, "\nsecret = " + secret + "\n");
  }
  // A PostgreSQL URI's password renders as "<set>" too: written back as itself.
  const std::string& store = r.config.store.transcripts;
  const bool pg = store.rfind("postgresql://", 0) == 0 || store.rfind("postgres://", 0) == 0;
  if (auto shown = "\ntranscripts = " + sb::store::with_password_as(store, "<set>") + "\n";
      pg && shown != "\ntranscripts = " + store + "\n") {
    auto at = again.find(shown);
    check(at != std::string::npos, "a URI's password does not render as <set>");
    again.replace(at, shown.size(), "\ntranscripts = " + store + "\n");
  }
  write_file(again);
  auto r2 = sb::load_config(path(), {});
  if (!r2.ok()) {
    for (auto& e : r2.errors)
      std::fprintf(stderr, "%s\n", e.to_string().c_str());
    check(false, "the rendered config does not load");
  }
  check(sb::render_config(r2.config) == text, "render/load changed the config");
  return 0;
}
