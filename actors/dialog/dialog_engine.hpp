// Runs one call through a scripted dialog (dialog_script.hpp): where the call is, the
// slots it has filled, what the agent says next, and the speech grammar (JSGF) of each
// state. Pure code; the scripted LLM keeps one position per call.
#pragma once

#include <map>
#include <string>

#include "actors/dialog/dialog_script.hpp"

namespace sb::dialog {

struct position {
  size_t state = 0;
  unsigned misses = 0;  // misunderstandings in a row in this state
  std::map<std::string, std::string> slots;
};

struct turn {
  std::string say;                  // what the agent answers
  dialog::action act = action::none;  // after saying it: hang up, hand off, or listen
  bool understood = false;
};

// The position at the start of a call, and the greeting (the start state's prompt).
position begin(const script& s);
std::string prompt(const script& s, const position& p);
// What the caller said (a recogniser hypothesis, or typed digits) moves the call on.
turn advance(const script& s, position& p, const std::string& heard);
// The JSGF grammar of a state: its phrases (and digits for a slot) and the garbage words
// that catch what it does not accept. Named by the state.
std::string grammar(const script& s, size_t state);

} // namespace sb::dialog
