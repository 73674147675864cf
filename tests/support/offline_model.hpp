// The recogniser's model for dialogs/order-status.ini as the node builds it
// (runtime/offline_providers.cpp): Debian's en-us acoustic model, a dictionary of the
// dialog's words only, one grammar per listening state, the start state's first.
// Header-only, for the tests of actors/offline.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/dialog/dialog_engine.hpp"
#include "actors/offline/sphinx_stt_actor.hpp"
#include "net/speech/pronunciations.hpp"

namespace sb::test {

struct offline_model {
  std::shared_ptr<const dialog::script> script;
  speech::temp_file dict;
  speech::sphinx_model model;

  offline_model() {
    std::vector<dialog::parse_error> errors;
    auto s = dialog::load_script(std::string(SB_SOURCE_DIR) + "/dialogs/order-status.ini",
                                 errors);
    REQUIRE(s);
    auto words = speech::select_words(
      "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict", s->words());
    REQUIRE(words.missing.empty());
    std::string err;
    REQUIRE(dict.write(words.text, err));
    model.hmm = "/usr/share/pocketsphinx/model/en-us/en-us";
    model.dict = dict.path();
    for (size_t i = 0; i < s->states.size(); ++i)
      if (s->states[i].act == dialog::action::none)
        model.grammars.emplace_back(grammar_name(i), dialog::grammar(*s, i));
    for (auto& g : model.grammars)
      if (g.first == grammar_name(s->start_index))
        std::swap(g, model.grammars.front());
    script = std::make_shared<const dialog::script>(std::move(*s));
  }
};

} // namespace sb::test
