#include "runtime/config/config.hpp"

#include <cctype>

#include "net/store/uri_password.hpp"
#include "runtime/config/load_state.hpp"
#include "runtime/config/values.hpp"

namespace sb {

namespace cfg {

namespace {

// How a rejected value appears at the end of an error message.
std::string shown(std::string value, const key_spec& k) {
  if (k.hide_value) return "(value hidden)";
  if (k.shown_as) value = k.shown_as(value);
  constexpr size_t max_shown = 80;
  if (value.size() <= max_shown) return "('" + value + "')";
  return "('" + value.substr(0, max_shown) + "...')";
}

// A ';' after whitespace starts a comment in the INI file, so such a value could not be
// written back to cluster.ini; --set values are read exactly like file values.
bool has_inline_comment(const std::string& v) {
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] == ';' && std::isspace(static_cast<unsigned char>(v[i - 1]))) return true;
  return false;
}

void apply_override(load_state& st, const std::string& text, int index) {
  location at{"--set", index};
  size_t eq = text.find('=');
  std::string lhs = trim(text.substr(0, eq));
  size_t dot = lhs.rfind('.');
  if (eq == std::string::npos || dot == std::string::npos || dot == 0 ||
      dot + 1 == lhs.size()) {
    // Any text that names the secret is hidden ("cluster.secret x", "secret = x").
    std::string lower(text);
    for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    bool secret = lower.find("secret") != std::string::npos;
    st.error(at, "expected SECTION.KEY=VALUE (e.g. pool.stt.max_active=5), got " +
                     (secret ? std::string("(value hidden)")
                             : "'" + store::with_password_as(text, "<hidden>") + "'"));
    return;
  }
  std::string section = lhs.substr(0, dot), key = lhs.substr(dot + 1);
  std::string value = trim(text.substr(eq + 1));
  const section_spec* s = find_section(section);
  if (!s) {
    st.error(at, "unknown section [" + section + "]" + suggest_section(section));
    return;
  }
  const key_spec* k = s->find(key);
  if (!k) {
    bool hide = key != "secret" && key.find("secret") != std::string::npos;
    st.error(at, "unknown key " + (hide ? std::string("(a name with 'secret', hidden)")
                                        : "'" + key + "'") +
                     " in [" + section + "]" + suggest_key(*s, key));
    return;
  }
  if (has_inline_comment(value)) {
    st.error(at,
             "[" + section + "] " + key +
                 ": ';' after a space would start a comment in cluster.ini, so a value "
                 "cannot contain it " +
                 shown(value, *k));
    return;
  }
  apply_value(st, *s, *k, value, at);
}

} // namespace

void apply_value(load_state& st, const section_spec& s, const key_spec& k,
                 const std::string& value, const location& at) {
  std::string what = check_printable(value);
  if (what.empty()) what = k.set(st.config, value);
  if (what.empty()) {
    st.origin[s.name + "." + k.name] = at;
    return;
  }
  st.error(at,
           "[" + s.name + "] " + k.name + ": " + what + " " + shown(value, k));
}

} // namespace cfg

std::string config_error::to_string() const {
  return file + ":" + std::to_string(line) + ": " + message;
}

config_result load_config(const std::string& path,
                          const std::vector<std::string>& overrides) {
  cfg::load_state st;
  st.path = path;
  if (!path.empty()) cfg::parse_file(st);
  for (size_t i = 0; i < overrides.size(); ++i)
    cfg::apply_override(st, overrides[i], int(i + 1));
  cfg::check_cross_keys(st);
  return config_result{std::move(st.config), std::move(st.errors)};
}

std::string render_config(const node_config& c) {
  std::string out;
  for (auto& s : cfg::schema()) {
    if (!out.empty()) out += "\n";
    out += "[" + s.name + "]\n";
    for (auto& k : s.keys) {
      std::string v = k.get(c);
      // "key =;x" keeps a leading ';' as part of the value (no space before it).
      out += k.name + (v.empty() ? " =" : v[0] == ';' ? " =" + v : " = " + v) + "\n";
    }
  }
  return out;
}

} // namespace sb
