// Checks of the offline providers ([stt] sphinx, [llm] scripted, [tts] espeak): the
// pairings they need and the files they read. The dialog file is parsed here, so
// check-config reports its problems as DIALOG_FILE:LINE: message.
#include <sys/stat.h>

#include "actors/dialog/dialog_script.hpp"
#include "runtime/config/load_state.hpp"

namespace sb::cfg {

namespace {

bool is_dir(const std::string& p) {
  struct stat s{};
  return ::stat(p.c_str(), &s) == 0 && S_ISDIR(s.st_mode);
}

bool is_file(const std::string& p) {
  struct stat s{};
  return ::stat(p.c_str(), &s) == 0 && S_ISREG(s.st_mode);
}

} // namespace

void check_offline(load_state& st) {
  auto& c = st.config;
  if (c.stt.provider == "sphinx") {
    if (c.llm.provider != "scripted")
      st.error(where(st, {"stt.provider", "llm.provider"}),
               "[stt] provider: sphinx needs [llm] provider = scripted (its grammars come "
               "from the dialog), but [llm] provider is " + c.llm.provider);
    if (!c.stt.fallback.empty())
      st.error(where(st, {"stt.fallback"}),
               "[stt] fallback: sphinx runs on this machine and takes no fallback");
    if (!is_dir(c.stt.acoustic_model))
      st.error(where(st, {"stt.acoustic_model", "stt.provider"}),
               "[stt] acoustic_model: '" + c.stt.acoustic_model +
                 "' is not a directory (Debian: apt-get install pocketsphinx-en-us)");
    if (!is_file(c.stt.dictionary))
      st.error(where(st, {"stt.dictionary", "stt.provider"}),
               "[stt] dictionary: cannot read '" + c.stt.dictionary +
                 "' (Debian: apt-get install pocketsphinx-en-us)");
  }
  if (c.tts.provider == "espeak" && c.tts.transport != "http")
    st.error(where(st, {"tts.transport", "tts.provider"}),
             "[tts] transport: espeak speaks a sentence at a time: set transport = http");
  if (c.llm.provider != "scripted")
    return;
  if (!c.call.greeting.empty())
    st.error(where(st, {"call.greeting", "llm.provider"}),
             "[call] greeting: must be empty with [llm] provider = scripted (the dialog's "
             "start state says the greeting)");
  if (c.llm.dialog.empty()) {
    st.error(where(st, {"llm.dialog", "llm.provider"}),
             "[llm] dialog: provider scripted needs a dialog file");
    return;
  }
  std::vector<dialog::parse_error> errors;
  dialog::load_script(c.llm.dialog, errors);
  for (auto& e : errors)
    st.error(e.line > 0 ? location{e.file, e.line} : where(st, {"llm.dialog"}),
             e.line > 0 ? e.message : "[llm] dialog: cannot read '" + c.llm.dialog + "'");
}

} // namespace sb::cfg
