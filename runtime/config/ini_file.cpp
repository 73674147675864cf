// Reading cluster.ini with inih's ini_parse_stream.
//
// inih's handler gets no line number and its return value names only the first syntax
// error, so our reader function does the line bookkeeping: it reads one physical line at
// a time (any length), counts lines, tracks the current [section] and reports malformed
// lines itself. It hands inih only well-formed "key = value" lines (leading whitespace
// removed, so inih never treats a line as a multi-line continuation); inih splits name
// and value and strips inline comments, and its handler call is attributed to the line
// just handed over. Lines too long for inih's fixed buffer (INI_MAX_LINE) are split by
// split_key_value, which follows inih's rules, and never reach inih in pieces.
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <cstdio>
#include <cstring>
#include <set>

#include <ini.h>

#include "net/store/uri_password.hpp"
#include "runtime/config/load_state.hpp"
#include "runtime/config/values.hpp"

namespace sb::cfg {

namespace {

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// inih's rules: the name ends at the first '=' or ':'; an inline comment starts at a ';'
// preceded by whitespace. False when the line has no '=' or ':' before any comment.
bool split_key_value(const std::string& t, std::string& name, std::string& value) {
  bool was_space = false;
  size_t i = 0;
  for (; i < t.size() && t[i] != '=' && t[i] != ':'; ++i) {
    if (was_space && t[i] == ';') return false;
    was_space = is_space(t[i]);
  }
  if (i == t.size()) return false;
  name = trim(t.substr(0, i));
  std::string v = t.substr(i + 1);
  was_space = false;
  for (size_t j = 0; j < v.size(); ++j) {
    if (was_space && v[j] == ';') {
      v.resize(j);
      break;
    }
    was_space = is_space(v[j]);
  }
  value = trim(v);
  return true;
}

// A malformed line as quoted in an error: shortened, and never a would-be secret: a line
// that names the secret anywhere ("secret x", "cluster.secret x", "[cluster] secret x")
// is not shown, nor a URI's password ("transcripts postgresql://sb:pw@db/x").
std::string echo_line(const std::string& line) {
  std::string lower(line);
  for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("secret") != std::string::npos) return "a 'secret' line (text hidden)";
  auto t = store::with_password_as(line, "<hidden>");
  return "'" + (t.size() > 80 ? t.substr(0, 80) + "..." : t) + "'";
}

// An unknown key as quoted in an error: 'secret' itself (misplaced) is shown, a longer
// name that holds it ("secret X") may hold the secret and is not.
std::string echo_key(const std::string& name) {
  if (name != "secret" && echo_line(name)[0] != '\'') return "(a name with 'secret', hidden)";
  return "'" + name + "'";
}

class ini_file {
 public:
  ini_file(load_state& st, FILE* f) : st_(st), f_(f) {}

  // The ini_reader: the next line for inih (always exactly one physical line), or null.
  char* next(char* buf, int size) {
    std::string raw;
    if (!read_line(raw)) {
      end_section();
      return nullptr;
    }
    std::string text = classify(raw, size_t(size) - 2) + "\n";
    std::memcpy(buf, text.c_str(), text.size() + 1);
    return buf;
  }

  // The ini_handler, called for the line next() just returned.
  void entry(const std::string& name, const std::string& value);

  bool read_failed() const { return read_failed_; }
  int read_errno() const { return read_errno_; }

 private:
  bool read_line(std::string& out);
  std::string classify(std::string raw, size_t max_len);
  void header(const std::string& text);
  void end_section();
  location here() const { return {st_.path, line_}; }
  // A relative path written in the file is relative to the file's directory.
  std::string next_to_config(const std::string& value) const {
    namespace fs = std::filesystem;
    fs::path p(value);
    if (value.empty() || p.is_absolute()) return value;
    std::error_code ec;
    auto dir = fs::absolute(fs::path(st_.path), ec).parent_path();
    if (ec) return value;
    return (dir / p).lexically_normal().string();
  }

  load_state& st_;
  FILE* f_;
  int line_ = 0;
  std::string section_; // "" before the first header
  int section_line_ = 0;
  bool skip_keys_ = false; // after a malformed header: its keys are not reported again
  bool prev_was_key_ = false;
  bool read_failed_ = false;
  int read_errno_ = 0;
  std::set<std::string> reported_sections_;
  std::map<std::string, int> seen_; // "section.key" -> line where it was first set
};

bool ini_file::read_line(std::string& out) {
  int c;
  bool any = false;
  while ((c = std::fgetc(f_)) != EOF) {
    any = true;
    if (c == '\n') break;
    out += char(c);
  }
  if (std::ferror(f_) && !read_failed_) read_failed_ = true, read_errno_ = errno;
  return any && !read_failed_;
}

// Reports malformed lines; returns what inih should see for this line ("" = nothing).
std::string ini_file::classify(std::string raw, size_t max_len) {
  ++line_;
  if (line_ == 1 && raw.rfind("\xEF\xBB\xBF", 0) == 0) raw.erase(0, 3); // UTF-8 BOM
  bool indented = !raw.empty() && is_space(raw[0]);
  std::string t = trim(raw);
  bool after_key = prev_was_key_;
  prev_was_key_ = false;
  if (t.empty() || t[0] == ';' || t[0] == '#') return "";
  if (t[0] == '[') {
    header(t);
    return "";
  }
  std::string name, value;
  if (!split_key_value(t, name, value)) {
    std::string hint =
        indented && after_key ? " (a value cannot continue on the next line)" : "";
    st_.error(here(),
              "expected 'key = value' or '[section]', got " + echo_line(t) + hint);
    return "";
  }
  if (name.empty()) {
    st_.error(here(), "missing key name before '" + std::string(1, t[0]) + "'");
    return "";
  }
  prev_was_key_ = true;
  if (t.size() <= max_len) return t;
  entry(name, value); // too long for inih's line buffer: already split above
  return "";
}

void ini_file::header(const std::string& t) {
  end_section();
  section_.clear();
  skip_keys_ = true;
  size_t close = t.find(']');
  if (close == std::string::npos) {
    st_.error(here(), "section header is missing ']': '" + t + "'");
    return;
  }
  std::string name = trim(t.substr(1, close - 1));
  if (name.empty()) {
    st_.error(here(), "empty section name '[]'");
    return;
  }
  std::string rest = trim(t.substr(close + 1));
  if (!rest.empty() && rest[0] != ';' && rest[0] != '#')
    st_.error(here(), "unexpected text after [" + name + "]: " + echo_line(rest));
  section_ = name;
  section_line_ = line_;
  skip_keys_ = false;
}

// An unknown section that had no keys is reported at its header line.
void ini_file::end_section() {
  if (section_.empty() || find_section(section_) || reported_sections_.count(section_))
    return;
  reported_sections_.insert(section_);
  st_.error({st_.path, section_line_},
            "unknown section [" + section_ + "]" + suggest_section(section_));
}

void ini_file::entry(const std::string& name, const std::string& value) {
  if (skip_keys_) return;
  if (section_.empty()) {
    st_.error(here(), "key " + echo_key(name) +
                          " is outside any section (add a [section] header above it)");
    return;
  }
  const section_spec* s = find_section(section_);
  if (!s) {
    if (reported_sections_.insert(section_).second)
      st_.error(here(), "unknown section [" + section_ + "]" + suggest_section(section_));
    return;
  }
  const key_spec* k = s->find(name);
  if (!k) {
    st_.error(here(),
              "unknown key " + echo_key(name) + " in [" + section_ + "]" +
                  suggest_key(*s, name));
    return;
  }
  auto [it, first] = seen_.emplace(section_ + "." + name, line_);
  if (!first) {
    st_.error(here(), "duplicate key '" + name + "' in [" + section_ +
                          "] (first set on line " + std::to_string(it->second) + ")");
    return;
  }
  apply_value(st_, *s, *k, k->file_path ? next_to_config(value) : value, here());
}

char* read_for_inih(char* buf, int size, void* stream) {
  return static_cast<ini_file*>(stream)->next(buf, size);
}

int handle_entry(void* user, const char*, const char* name, const char* value) {
  static_cast<ini_file*>(user)->entry(name, value ? value : "");
  return 1;
}

} // namespace

void parse_file(load_state& st) {
  FILE* f = std::fopen(st.path.c_str(), "rb");
  if (!f) {
    st.error({st.path, 0}, std::string("cannot open: ") + std::strerror(errno));
    return;
  }
  ini_file file(st, f);
  size_t errors_before = st.errors.size();
  int rc = ini_parse_stream(read_for_inih, &file, handle_entry, &file);
  std::fclose(f);
  if (file.read_failed()) {
    st.error({st.path, 0},
             std::string("cannot read: ") + std::strerror(file.read_errno()));
  } else if (rc > 0 && st.errors.size() == errors_before) {
    // inih rejected a line we let through (it counts lines as we do): still report it.
    st.error({st.path, rc}, "syntax error");
  }
}

} // namespace sb::cfg
