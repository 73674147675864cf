#include "actors/dialog/dialog_engine.hpp"

#include <sstream>

namespace sb::dialog {

namespace {

// "{order}" -> "1 2 3 4" (said digit by digit).
std::string fill(const std::string& text, const position& p) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      auto e = text.find('}', i);
      if (e != std::string::npos) {
        auto it = p.slots.find(text.substr(i + 1, e - i - 1));
        if (it != p.slots.end()) {
          for (size_t k = 0; k < it->second.size(); ++k)
            out += (k ? " " : "") + std::string(1, it->second[k]);
        }
        i = e;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// "one two oh four" -> "1204" if it is exactly n digits.
std::optional<std::string> digits_of(const std::string& heard, unsigned n) {
  static const std::map<std::string, char> digit{
    {"zero", '0'}, {"oh", '0'},  {"one", '1'}, {"two", '2'},   {"three", '3'}, {"four", '4'},
    {"five", '5'}, {"six", '6'}, {"seven", '7'}, {"eight", '8'}, {"nine", '9'}};
  std::stringstream ss{heard};
  std::string w, out;
  while (ss >> w) {
    if (w.size() > 1 && w.find_first_not_of("0123456789") == std::string::npos) {
      out += w;  // keypad digits come as numbers
      continue;
    }
    auto it = digit.find(w);
    if (it == digit.end()) {
      if (w.size() == 1 && std::isdigit(static_cast<unsigned char>(w[0])))
        out += w;
      else
        return std::nullopt;
    } else {
      out += it->second;
    }
  }
  if (out.size() != n)
    return std::nullopt;
  return out;
}

turn enter(const script& s, position& p, size_t next) {
  p.state = next;
  p.misses = 0;
  return {prompt(s, p), s.states[next].act, true};
}

} // namespace

position begin(const script& s) {
  position p;
  p.state = s.start_index;
  return p;
}

std::string prompt(const script& s, const position& p) {
  return fill(s.states[p.state].say, p);
}

turn advance(const script& s, position& p, const std::string& heard) {
  auto& st = s.states[p.state];
  auto text = normalise(heard);
  // Keypad digits reach the LLM as "(The caller pressed 1 2 3 4 on the keypad.)".
  const std::string pressed = "the caller pressed ", keypad = " on the keypad";
  if (text.rfind(pressed, 0) == 0 && text.size() > pressed.size() + keypad.size() &&
      text.compare(text.size() - keypad.size(), keypad.size(), keypad) == 0)
    text = text.substr(pressed.size(), text.size() - pressed.size() - keypad.size());
  for (auto& on : st.on)
    for (auto& ph : on.phrases)
      if (ph == text)
        return enter(s, p, on.next_index);
  if (st.confirm)
    for (auto& ph : st.confirm->phrases)
      if (ph == text)
        return enter(s, p, st.confirm->next_index);
  if (st.reject)
    for (auto& ph : st.reject->phrases)
      if (ph == text)
        return enter(s, p, st.reject->next_index);
  if (st.slot)
    if (auto d = digits_of(text, st.slot->digits)) {
      p.slots[st.slot->name] = *d;
      return enter(s, p, st.slot->next_index);
    }
  ++p.misses;
  if (p.misses > s.retries && s.on_fail_index)
    return enter(s, p, *s.on_fail_index);
  if (!st.reprompt.empty())
    return {fill(st.reprompt, p), action::none, false};
  return {s.reprompt + " " + prompt(s, p), action::none, false};
}

std::string grammar(const script& s, size_t state) {
  auto& st = s.states[state];
  std::vector<std::string> alts;
  for (auto& on : st.on)
    alts.insert(alts.end(), on.phrases.begin(), on.phrases.end());
  for (auto* p : {&st.confirm, &st.reject})
    if (*p)
      alts.insert(alts.end(), (*p)->phrases.begin(), (*p)->phrases.end());
  std::string out = "#JSGF V1.0;\ngrammar dialog;\n";
  if (st.slot) {
    out += "<digit> = ";
    for (size_t i = 0; i < digit_words().size(); ++i)
      out += (i ? " | " : "") + digit_words()[i];
    out += ";\n";
    std::string seq;
    for (unsigned i = 0; i < st.slot->digits; ++i)
      seq += (i ? " " : "") + std::string("<digit>");
    alts.push_back(seq);
  }
  out += "<garbage> = ";
  for (size_t i = 0; i < s.garbage.size(); ++i)
    out += (i ? " | " : "") + s.garbage[i];
  out += ";\n";
  alts.push_back("<garbage>+");
  out += "public <answer> = ";
  for (size_t i = 0; i < alts.size(); ++i)
    out += (i ? " | " : "") + alts[i];
  out += ";\n";
  return out;
}

} // namespace sb::dialog
