// A scripted dialog (docs/offline-agent.md): states with a prompt, the phrases each one
// accepts (its speech grammar), slots, confirm and reject steps, transitions, hand-off and
// hang-up actions and a re-prompt for what is not understood. Parsed and validated once
// at start-up; every problem is reported as FILE:LINE: message. Pure code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sb::dialog {

enum class action { none, hangup, handoff };

struct phrase_set {
  std::vector<std::string> phrases;  // normalised: lower case, single spaces
  std::string next;                  // the state it leads to
  size_t next_index = 0;
  int line = 0;
};

struct slot_rule {
  std::string name;     // {name} in a later prompt says its value
  unsigned digits = 0;  // the caller says this many digits (zero/oh, one ... nine)
  std::string next;
  size_t next_index = 0;
  int line = 0;
};

struct state {
  std::string name;
  int line = 0;
  std::string say;       // the prompt, spoken on entering; {slot} is replaced
  std::string reprompt;  // "" = the dialog's reprompt, then `say` again
  std::vector<phrase_set> on;
  std::optional<phrase_set> confirm;  // yes-phrases and where they go
  std::optional<phrase_set> reject;   // no-phrases and where they go
  std::optional<slot_rule> slot;
  dialog::action act = action::none;
};

struct script {
  std::string file;
  std::string start;
  size_t start_index = 0;
  std::string reprompt = "Sorry, I did not understand that.";
  unsigned retries = 2;   // misunderstandings in a row before on_fail (0..10)
  std::string on_fail;    // "" = keep re-prompting
  std::optional<size_t> on_fail_index;
  std::vector<std::string> garbage;  // out-of-grammar words the recogniser may pick
  std::vector<state> states;

  std::optional<size_t> find(const std::string& name) const;
  // Every word any state's grammar may produce (for the pronunciation dictionary).
  std::vector<std::string> words() const;
};

struct parse_error {
  std::string file;
  int line = 0;
  std::string message;
  std::string text() const { return file + ":" + std::to_string(line) + ": " + message; }
};

// Parses and validates the dialog; on failure `errors` lists every problem found.
std::optional<script> parse_script(const std::string& text, const std::string& file,
                                   std::vector<parse_error>& errors);
std::optional<script> load_script(const std::string& path, std::vector<parse_error>& errors);

// Lower case, letters, digits and apostrophes only, single spaces.
std::string normalise(const std::string& text);

// The phrases a confirm / reject step accepts.
const std::vector<std::string>& yes_phrases();
const std::vector<std::string>& no_phrases();
const std::vector<std::string>& digit_words();  // zero oh one ... nine

} // namespace sb::dialog
