#include <catch2/catch.hpp>

#include "actors/text/sentence_splitter.hpp"

using sb::sentence_splitter;
using strings = std::vector<std::string>;

namespace {

// Feeds the tokens, then flushes; returns everything emitted, in order.
strings split(const strings& tokens, size_t max_chars = 200) {
  sentence_splitter s(max_chars);
  strings out;
  for (const auto& t : tokens)
    for (auto& piece : s.feed(t))
      out.push_back(std::move(piece));
  if (auto rest = s.flush(); !rest.empty())
    out.push_back(std::move(rest));
  return out;
}

strings split_bytewise(const std::string& text, size_t max_chars = 200) {
  strings tokens;
  for (char c : text)
    tokens.emplace_back(1, c);
  return split(tokens, max_chars);
}

} // namespace

TEST_CASE("splitter: emits a sentence as soon as it is complete") {
  sentence_splitter s;
  CHECK(s.feed("Hello").empty());
  CHECK(s.feed(" there").empty());
  CHECK(s.feed(".").empty());  // could still be "there.com"
  CHECK(s.feed(" How") == strings{"Hello there."});
  CHECK(s.feed(" are you?").empty());
  CHECK(s.feed(" I'm") == strings{"How are you?"});
  CHECK(s.flush() == "I'm");
  CHECK(s.flush().empty());
}

TEST_CASE("splitter: terminators, closing quotes and brackets") {
  CHECK(split({"Wow! Really? Yes. "}) == strings{"Wow!", "Really?", "Yes."});
  CHECK(split({"What?! No way."}) == strings{"What?!", "No way."});
  CHECK(split({"He said \"stop.\" Then he left."}) ==
        strings{"He said \"stop.\"", "Then he left."});
  CHECK(split({"(It works.) Next one."}) == strings{"(It works.)", "Next one."});
  CHECK(split({"\xE2\x80\x9CGo.\xE2\x80\x9D Okay."}) ==
        strings{"\xE2\x80\x9CGo.\xE2\x80\x9D", "Okay."});
  CHECK(split({"**Note.** Read this."}) == strings{"**Note.**", "Read this."});
}

TEST_CASE("splitter: newlines end sentences") {
  CHECK(split({"First line\nSecond line\r\n\nThird"}) ==
        strings{"First line", "Second line", "Third"});
  CHECK(split({"Steps:\n1. Open settings.\n2. Tap Wi-Fi.\n"}) ==
        strings{"Steps:", "1. Open settings.", "2. Tap Wi-Fi."});
}

TEST_CASE("splitter: does not split decimals, abbreviations, initials, ellipsis") {
  CHECK(split({"It costs 3.5 dollars. Okay."}) == strings{"It costs 3.5 dollars.", "Okay."});
  CHECK(split({"Mr. Smith and Dr. Jones met at St. Mary's. Then"}) ==
        strings{"Mr. Smith and Dr. Jones met at St. Mary's.", "Then"});
  CHECK(split({"Use fruit, e.g. apples, i.e. red ones, etc. and more. Done."}) ==
        strings{"Use fruit, e.g. apples, i.e. red ones, etc. and more.", "Done."});
  CHECK(split({"Open at 9 a.m. daily. In the U.S. too. Ok"}) ==
        strings{"Open at 9 a.m. daily.", "In the U.S. too.", "Ok"});
  CHECK(split({"Call J. R. Smith now. Bye"}) == strings{"Call J. R. Smith now.", "Bye"});
  CHECK(split({"Well... I think so. Maybe\xE2\x80\xA6 not. Sure."}) ==
        strings{"Well... I think so.", "Maybe\xE2\x80\xA6 not.", "Sure."});
  CHECK(split({"Visit example.com today. It costs 4.99. Thanks"}) ==
        strings{"Visit example.com today.", "It costs 4.99.", "Thanks"});
}

TEST_CASE("splitter: trims and never emits empty strings") {
  CHECK(split({"   ", "\n\n", "  Hi.  ", "  ", "\n", " Bye. "}) == strings{"Hi.", "Bye."});
  CHECK(split({"...", " ", "!"}) == strings{"... !"});  // an ellipsis alone never splits
  CHECK(split({". ! ? x"}) == strings{".", "!", "?", "x"});
  sentence_splitter s;
  for (const char* t : {" ", "\n", "\t", "\r\n"})
    CHECK(s.feed(t).empty());
  CHECK(s.flush().empty());
  CHECK(s.pending() == 0);
}

TEST_CASE("splitter: token boundaries do not matter") {
  const std::string text =
    "Hello Mr. Smith! Your balance is 12.50 dollars. \"Great.\" Is that all?\n"
    "1. Pay now.\n2. Pay later... or never. Okay";
  const strings expected = {"Hello Mr. Smith!", "Your balance is 12.50 dollars.",
                            "\"Great.\"",       "Is that all?",
                            "1. Pay now.",      "2. Pay later... or never.",
                            "Okay"};
  CHECK(split({text}) == expected);
  CHECK(split_bytewise(text) == expected);
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(split({text.substr(0, cut), text.substr(cut)}) == expected);
  }
}

TEST_CASE("splitter: long runs are cut at a comma or semicolon") {
  std::string a(120, 'a');
  std::string b(60, 'b');
  std::string c(60, 'c');
  auto text = a + ", " + b + "; " + c + " and more words";
  auto pieces = split_bytewise(text);
  REQUIRE(pieces.size() == 2);
  CHECK(pieces[0] == a + ", " + b + ";");
  CHECK(pieces[1] == c + " and more words");
}

TEST_CASE("splitter: long runs without punctuation are cut on a word boundary") {
  std::string text;
  for (int i = 0; i < 100; ++i)
    text += "word" + std::to_string(i) + " ";
  sentence_splitter s;
  strings out;
  for (char ch : text)
    for (auto& p : s.feed(std::string(1, ch)))
      out.push_back(p);
  CHECK(s.pending() <= 200);
  REQUIRE(out.size() >= 2);
  std::string joined;
  for (const auto& p : out) {
    CHECK(p.size() <= 200);
    CHECK(p.size() >= 150);  // cut late, near the limit
    CHECK(p.back() != ' ');
    CHECK(p.find("word") == 0);  // never mid-word
    joined += p + " ";
  }
  joined += s.flush();
  CHECK(joined == text.substr(0, text.size() - 1));
}

TEST_CASE("splitter: one huge word is cut hard, on a UTF-8 boundary") {
  std::string word;
  for (int i = 0; i < 150; ++i)
    word += "\xC3\xA9";  // é, 2 bytes
  auto pieces = split({word}, 101);
  REQUIRE(pieces.size() == 3);
  CHECK(pieces[0].size() == 100);  // 101 would split a character
  CHECK(pieces[0] + pieces[1] + pieces[2] == word);
}

TEST_CASE("splitter: Hindi danda and CJK full stops") {
  CHECK(split({"\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87"
               "\xE0\xA5\xA4 \xE0\xA4\xA0\xE0\xA5\x80\xE0\xA4\x95"}) ==
        strings{"\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87"
                "\xE0\xA5\xA4",
                "\xE0\xA4\xA0\xE0\xA5\x80\xE0\xA4\x95"});
  // 你好。再见！ : no whitespace needed after a CJK full stop.
  CHECK(split({"\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x80\x82\xE5\x86\x8D\xE8\xA7\x81\xEF\xBC\x81"}) ==
        strings{"\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x80\x82", "\xE5\x86\x8D\xE8\xA7\x81\xEF\xBC\x81"});
}

TEST_CASE("splitter: a closing quote split inside its UTF-8 bytes waits") {
  sentence_splitter s;
  CHECK(s.feed("Go.\xE2\x80").empty());
  CHECK(s.feed("\x9D Now") == strings{"Go.\xE2\x80\x9D"});
  CHECK(s.flush() == "Now");
}

TEST_CASE("splitter: flush resets") {
  sentence_splitter s;
  CHECK(s.feed("Half a sent").empty());
  CHECK(s.flush() == "Half a sent");
  CHECK(s.feed("New. One").size() == 1);
  CHECK(s.flush() == "One");
}
