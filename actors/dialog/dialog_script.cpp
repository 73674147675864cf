#include "actors/dialog/dialog_script.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace sb::dialog {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "a | b c | d -> next": the phrases and the state they lead to.
bool split_arrow(const std::string& v, std::string& left, std::string& right) {
  auto at = v.rfind("->");
  if (at == std::string::npos)
    return false;
  left = trim(v.substr(0, at));
  right = trim(v.substr(at + 2));
  return true;
}

std::vector<std::string> split_phrases(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss{v};
  std::string piece;
  while (std::getline(ss, piece, '|')) {
    auto n = normalise(piece);
    if (!n.empty())
      out.push_back(n);
  }
  return out;
}

bool valid_name(const std::string& n) {
  return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

struct parser {
  const std::string& file;
  std::vector<parse_error>& errors;
  script s;
  void error(int line, std::string msg) { errors.push_back({file, line, std::move(msg)}); }

  void dialog_key(int line, const std::string& key, const std::string& v) {
    if (key == "start") {
      s.start = v;
    } else if (key == "reprompt") {
      if (v.empty())
        error(line, "reprompt is empty");
      s.reprompt = v;
    } else if (key == "retries") {
      if (v.empty() || v.size() > 2 || v.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(v) > 10)
        error(line, "retries must be a whole number from 0 to 10, not '" + v + "'");
      else
        s.retries = static_cast<unsigned>(std::stoul(v));
    } else if (key == "on_fail") {
      s.on_fail = v;
    } else if (key == "garbage") {
      std::stringstream ss{normalise(v)};
      std::string w;
      while (ss >> w)
        s.garbage.push_back(w);
    } else {
      error(line, "unknown key '" + key + "' in [dialog] (start, reprompt, retries, on_fail, garbage)");
    }
  }

  void state_key(state& st, int line, const std::string& key, const std::string& v) {
    std::string left, right;
    if (key == "say") {
      st.say = v;
    } else if (key == "reprompt") {
      st.reprompt = v;
    } else if (key == "on" || key == "confirm" || key == "reject") {
      phrase_set p;
      p.line = line;
      if (key == "on") {
        if (!split_arrow(v, left, right)) {
          error(line, "on needs 'PHRASE | PHRASE ... -> STATE'");
          return;
        }
        p.phrases = split_phrases(left);
        p.next = right;
        if (p.phrases.empty())
          error(line, "on lists no phrase before '->'");
      } else {
        p.next = v;
        p.phrases = key == "confirm" ? yes_phrases() : no_phrases();
      }
      if (p.next.empty())
        error(line, key + " names no state to go to");
      auto& slot = key == "on" ? st.on.emplace_back() : key == "confirm" ? st.confirm.emplace()
                                                                          : st.reject.emplace();
      slot = std::move(p);
    } else if (key == "slot") {
      // slot = NAME digits N -> STATE
      if (!split_arrow(v, left, right)) {
        error(line, "slot needs 'NAME digits N -> STATE'");
        return;
      }
      std::stringstream ss{left};
      std::string name, kind, count, extra;
      ss >> name >> kind >> count >> extra;
      if (!valid_name(name) || kind != "digits" || count.empty() || !extra.empty() ||
          count.find_first_not_of("0123456789") != std::string::npos || count.size() > 2 ||
          std::stoul(count) < 1 || std::stoul(count) > 16) {
        error(line, "slot needs 'NAME digits N -> STATE' with N from 1 to 16");
        return;
      }
      st.slot = slot_rule{name, static_cast<unsigned>(std::stoul(count)), right, 0, line};
      if (right.empty())
        error(line, "slot names no state to go to");
    } else if (key == "action") {
      if (v == "hangup")
        st.act = action::hangup;
      else if (v == "handoff")
        st.act = action::handoff;
      else
        error(line, "action must be hangup or handoff, not '" + v + "'");
    } else {
      error(line, "unknown key '" + key + "' in a state (say, reprompt, on, confirm, "
                  "reject, slot, action)");
    }
  }

  void resolve(const std::string& target, size_t& index, int line) {
    if (auto i = s.find(target))
      index = *i;
    else
      error(line, "no state named '" + target + "'");
  }

  void check() {
    if (s.states.empty())
      error(1, "the dialog has no [state NAME] section");
    std::set<std::string> seen;
    for (auto& st : s.states) {
      if (!seen.insert(st.name).second)
        error(st.line, "a second state named '" + st.name + "'");
      if (st.say.empty())
        error(st.line, "state '" + st.name + "' has no say = PROMPT");
      bool listens = !st.on.empty() || st.confirm || st.reject || st.slot;
      if (st.act != action::none && listens)
        error(st.line, "state '" + st.name + "' ends the call (action) but also listens");
      if (st.act == action::none && !listens)
        error(st.line, "state '" + st.name + "' neither listens (on, confirm, reject, slot) "
                       "nor ends the call (action = hangup | handoff)");
      for (auto& p : st.on)
        resolve(p.next, p.next_index, p.line);
      if (st.confirm)
        resolve(st.confirm->next, st.confirm->next_index, st.confirm->line);
      if (st.reject)
        resolve(st.reject->next, st.reject->next_index, st.reject->line);
      if (st.slot)
        resolve(st.slot->next, st.slot->next_index, st.slot->line);
      std::set<std::string> phrases;
      auto dup = [&](const phrase_set& p) {
        for (auto& ph : p.phrases)
          if (!phrases.insert(ph).second)
            error(p.line, "state '" + st.name + "' accepts '" + ph + "' twice");
      };
      for (auto& p : st.on)
        dup(p);
      if (st.confirm)
        dup(*st.confirm);
      if (st.reject)
        dup(*st.reject);
      for (size_t b = st.say.find('{'); b != std::string::npos; b = st.say.find('{', b + 1)) {
        auto e = st.say.find('}', b);
        auto name = e == std::string::npos ? "" : st.say.substr(b + 1, e - b - 1);
        bool known = std::any_of(s.states.begin(), s.states.end(), [&](const state& o) {
          return o.slot && o.slot->name == name;
        });
        if (!known)
          error(st.line, "state '" + st.name + "' says {" + name + "}, which no slot fills");
      }
    }
    if (s.start.empty())
      error(1, "[dialog] has no start = STATE");
    else
      resolve(s.start, s.start_index, 1);
    if (!s.on_fail.empty()) {
      size_t i = 0;
      resolve(s.on_fail, i, 1);
      if (s.find(s.on_fail))
        s.on_fail_index = i;
    }
    if (s.garbage.empty())
      s.garbage = {"weather", "today", "tomorrow", "pizza", "something", "about", "really",
                   "maybe", "nothing", "actually", "because", "other", "question", "never",
                   "morning", "evening", "hello", "thank", "problem", "money", "people",
                   "little", "very", "water"};
  }
};

} // namespace

std::string normalise(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '\'') {
      if (space && !out.empty())
        out += ' ';
      space = false;
      out += static_cast<char>(std::tolower(u));
    } else {
      space = true;
    }
  }
  return out;
}

const std::vector<std::string>& yes_phrases() {
  static const std::vector<std::string> v{"yes", "yes please", "yes it is", "that is right",
                                          "correct"};
  return v;
}

const std::vector<std::string>& no_phrases() {
  static const std::vector<std::string> v{"no", "no it is not", "that is wrong", "wrong"};
  return v;
}

const std::vector<std::string>& digit_words() {
  static const std::vector<std::string> v{"zero", "oh",   "one",   "two",   "three", "four",
                                          "five", "six",  "seven", "eight", "nine"};
  return v;
}

std::optional<size_t> script::find(const std::string& name) const {
  for (size_t i = 0; i < states.size(); ++i)
    if (states[i].name == name)
      return i;
  return std::nullopt;
}

std::vector<std::string> script::words() const {
  std::set<std::string> w;
  auto add = [&](const std::string& phrase) {
    std::stringstream ss{phrase};
    std::string x;
    while (ss >> x)
      w.insert(x);
  };
  for (auto& st : states) {
    for (auto& p : st.on)
      for (auto& ph : p.phrases)
        add(ph);
    for (auto* p : {&st.confirm, &st.reject})
      if (*p)
        for (auto& ph : (*p)->phrases)
          add(ph);
    if (st.slot)
      for (auto& d : digit_words())
        add(d);
  }
  for (auto& g : garbage)
    add(g);
  return {w.begin(), w.end()};
}

std::optional<script> parse_script(const std::string& text, const std::string& file,
                                   std::vector<parse_error>& errors) {
  parser p{file, errors, {}};
  p.s.file = file;
  std::stringstream in{text};
  std::string raw;
  int line = 0;
  enum { none, dialog_section, state_section } where = none;
  while (std::getline(in, raw)) {
    ++line;
    auto l = trim(raw);
    if (l.empty() || l[0] == '#' || l[0] == ';')
      continue;
    if (l.front() == '[') {
      if (l.back() != ']') {
        p.error(line, "a section header ends with ']'");
        continue;
      }
      auto head = trim(l.substr(1, l.size() - 2));
      if (head == "dialog") {
        where = dialog_section;
      } else if (head.rfind("state ", 0) == 0 && valid_name(trim(head.substr(6)))) {
        where = state_section;
        p.s.states.push_back({});
        p.s.states.back().name = trim(head.substr(6));
        p.s.states.back().line = line;
      } else {
        p.error(line, "unknown section [" + head + "] ([dialog] or [state NAME], NAME of "
                      "letters, digits, _ and -)");
        where = none;
      }
      continue;
    }
    auto eq = l.find('=');
    if (eq == std::string::npos) {
      p.error(line, "expected KEY = VALUE");
      continue;
    }
    auto key = trim(l.substr(0, eq));
    auto value = trim(l.substr(eq + 1));
    if (where == dialog_section)
      p.dialog_key(line, key, value);
    else if (where == state_section)
      p.state_key(p.s.states.back(), line, key, value);
    else
      p.error(line, "'" + key + "' outside a section");
  }
  p.check();
  if (!errors.empty())
    return std::nullopt;
  return std::move(p.s);
}

std::optional<script> load_script(const std::string& path, std::vector<parse_error>& errors) {
  std::ifstream f{path};
  if (!f) {
    errors.push_back({path, 0, "cannot read the dialog file"});
    return std::nullopt;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_script(ss.str(), path, errors);
}

} // namespace sb::dialog
