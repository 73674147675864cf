// The offline providers' config keys ([stt] sphinx, [llm] scripted, [tts] espeak) and the
// checks across them (runtime/config/checks_offline.cpp).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/config_checks.hpp"

using namespace sb::test::config;

namespace {

const std::string dialog_path = std::string(SB_SOURCE_DIR) + "/dialogs/order-status.ini";

// The three offline providers; one more line in [stt] (line 3), [tts] (line 10) or after
// them (a section of its own from line 11).
std::string offline(const std::string& stt = "#", const std::string& tts = "#",
                    const std::string& more = "") {
  return "[stt]\nprovider = sphinx\n" + stt + "\n[llm]\nprovider = scripted\ndialog = " +
         dialog_path + "\n#\n[tts]\nprovider = espeak\n" + tts + "\n" + more;
}

} // namespace

TEST_CASE("config: the offline providers with their Debian defaults") {
  temp_dir dir;
  auto r = load_config(dir.write("c.ini", offline()), {});
  CHECK(messages(r) == strings{});
  CHECK(r.config.stt.acoustic_model == "/usr/share/pocketsphinx/model/en-us/en-us");
  CHECK(r.config.stt.dictionary == "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict");
  CHECK(r.config.tts.espeak_voice == "en-us");
  CHECK(r.config.tts.espeak_rate == 160);
  CHECK(r.config.llm.dialog == dialog_path);
}

TEST_CASE("config: sphinx needs the scripted LLM, model files that exist and no fallback") {
  CHECK(errors_of("[stt]\nprovider = sphinx\n") ==
        strings{"c.ini:2: [stt] provider: sphinx needs [llm] provider = scripted (its "
                "grammars come from the dialog), but [llm] provider is openai"});
  CHECK(errors_of(offline("acoustic_model = /nonexistent")) ==
        strings{"c.ini:3: [stt] acoustic_model: '/nonexistent' is not a directory (Debian: "
                "apt-get install pocketsphinx-en-us)"});
  CHECK(errors_of(offline("dictionary = /nonexistent.dict")) ==
        strings{"c.ini:3: [stt] dictionary: cannot read '/nonexistent.dict' (Debian: "
                "apt-get install pocketsphinx-en-us)"});
  CHECK(errors_of(offline("fallback = deepgram")) ==
        strings{"c.ini:3: [stt] fallback: sphinx runs on this machine and takes no fallback"});
  CHECK(errors_of("[stt]\nprovider = whisper\n") ==
        strings{"c.ini:2: [stt] provider: must be one of: deepgram, sphinx ('whisper')"});
}

TEST_CASE("config: the scripted LLM needs a dialog that parses, and no [call] greeting") {
  CHECK(errors_of("[llm]\nprovider = scripted\n") ==
        strings{"c.ini:2: [llm] dialog: provider scripted needs a dialog file"});
  temp_dir dir;
  auto bad = dir.write("bad-dialog.ini", "[dialog]\nstart = a\n[state a]\nsay = hi\n");
  auto r = load_config(dir.write("c.ini", "[llm]\nprovider = scripted\ndialog = " + bad + "\n"),
                       {});
  CHECK(messages(r) ==
        strings{bad + ":3: state 'a' neither listens (on, confirm, reject, slot) nor ends the "
                      "call (action = hangup | handoff)"});
  CHECK(errors_of(offline("#", "#", "[call]\ngreeting = Hello\n")) ==
        strings{"c.ini:12: [call] greeting: must be empty with [llm] provider = scripted (the "
                "dialog's start state says the greeting)"});
  CHECK(errors_of("[llm]\nprovider = scripted\ndialog = /nonexistent.ini\n") ==
        strings{"c.ini:3: [llm] dialog: cannot read '/nonexistent.ini'"});
}

TEST_CASE("config: espeak speaks a sentence at a time, at 80 to 450 words a minute") {
  CHECK(errors_of(offline("#", "transport = websocket")) ==
        strings{"c.ini:10: [tts] transport: espeak speaks a sentence at a time: set transport = "
                "http"});
  CHECK(errors_of(offline("#", "espeak_rate = 1000")) ==
        strings{"c.ini:10: [tts] espeak_rate: must be from 80 to 450 ('1000')"});
  CHECK(errors_of("[tts]\nprovider = espeak\nespeak_voice =\n") ==
        strings{"c.ini:3: [tts] espeak_voice: must not be empty ('')"});
}
