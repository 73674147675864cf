// The scripted dialog (actors/dialog): its file format, FILE:LINE errors, the engine's
// moves through the states, and the speech grammar of each state.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "actors/dialog/dialog_engine.hpp"

using namespace sb::dialog;
using strings = std::vector<std::string>;

namespace {

strings errors_of(const std::string& text) {
  std::vector<parse_error> errors;
  auto s = parse_script(text, "d.ini", errors);
  strings out;
  for (auto& e : errors)
    out.push_back(e.text());
  if (s)
    CHECK(out.empty());
  return out;
}

script parse(const std::string& text) {
  std::vector<parse_error> errors;
  auto s = parse_script(text, "d.ini", errors);
  for (auto& e : errors)
    FAIL(e.text());
  REQUIRE(s);
  return *s;
}

const char* order_line = R"(# comment
[dialog]
start = welcome
reprompt = Sorry?
retries = 1
on_fail = agent

[state welcome]
say = Check an order or speak to an agent?
on = check an order | Check my order! -> order
on = speak to an agent -> agent

[state order]
say = Your order number?
slot = order digits 4 -> confirm
reprompt = Four digits, please.

[state confirm]
say = I heard {order}. Right?
confirm = status
reject = order

[state status]
say = Order {order} arrives tomorrow. Goodbye.
action = hangup

[state agent]
say = Connecting you.
action = handoff
)";

} // namespace

TEST_CASE("dialog: the example dialog shipped in dialogs/ parses") {
  std::vector<parse_error> errors;
  auto s = load_script(std::string(SB_SOURCE_DIR) + "/dialogs/order-status.ini", errors);
  for (auto& e : errors)
    FAIL(e.text());
  REQUIRE(s);
  CHECK(s->states[s->start_index].name == "welcome");
}

TEST_CASE("dialog: a call walks the states, fills the slot and hangs up") {
  auto s = parse(order_line);
  auto p = begin(s);
  CHECK(prompt(s, p) == "Check an order or speak to an agent?");
  auto t = advance(s, p, "Check my order");  // case and punctuation do not matter
  CHECK(t.understood);
  CHECK(t.say == "Your order number?");
  t = advance(s, p, "one two oh four");
  CHECK(t.say == "I heard 1 2 0 4. Right?");
  CHECK(t.act == action::none);
  t = advance(s, p, "no");  // reject: back to the slot
  CHECK(t.say == "Your order number?");
  advance(s, p, "nine nine nine nine");
  t = advance(s, p, "yes it is");  // confirm
  CHECK(t.say == "Order 9 9 9 9 arrives tomorrow. Goodbye.");
  CHECK(t.act == action::hangup);
}

TEST_CASE("dialog: what is not understood gets the re-prompt, then on_fail") {
  auto s = parse(order_line);
  auto p = begin(s);
  auto t = advance(s, p, "weather today");
  CHECK_FALSE(t.understood);
  CHECK(t.say == "Sorry? Check an order or speak to an agent?");  // dialog reprompt + say
  CHECK(s.states[p.state].name == "welcome");
  t = advance(s, p, "pizza");  // the second miss in a row, retries = 1: on_fail
  CHECK(t.say == "Connecting you.");
  CHECK(t.act == action::handoff);
  p = begin(s);
  advance(s, p, "check an order");
  t = advance(s, p, "one two");  // three digits short: the state's own reprompt
  CHECK(t.say == "Four digits, please.");
}

TEST_CASE("dialog: keypad digits fill a digit slot") {
  auto s = parse(order_line);
  auto p = begin(s);
  advance(s, p, "check an order");
  auto t = advance(s, p, "(The caller pressed 1 2 3 4 on the keypad.)");
  CHECK(t.say == "I heard 1 2 3 4. Right?");
}

TEST_CASE("dialog: each state's grammar holds its phrases, digits and the garbage words") {
  auto s = parse(order_line);
  auto g = grammar(s, *s.find("welcome"));
  CHECK(g.find("public <answer> = check an order | check my order | speak to an agent | "
               "<garbage>+;") != std::string::npos);
  g = grammar(s, *s.find("order"));
  CHECK(g.find("<digit> <digit> <digit> <digit> | <garbage>+") != std::string::npos);
  g = grammar(s, *s.find("confirm"));
  CHECK(g.find("yes | yes please") != std::string::npos);
  CHECK(g.find("| no | no it is not") != std::string::npos);
  auto w = s.words();
  for (const char* word : {"check", "agent", "seven", "oh", "yes", "wrong", "weather"})
    CHECK(std::find(w.begin(), w.end(), word) != w.end());
}

TEST_CASE("dialog: problems are reported as FILE:LINE: message") {
  CHECK(errors_of("[dialog]\nstart = a\n[state a]\nsay = hi\non = yes -> b\n") ==
        strings{"d.ini:5: no state named 'b'"});
  CHECK(errors_of("[dialog]\nstart = a\ncolour = red\n[state a]\nsay = hi\naction = hangup\n") ==
        strings{"d.ini:3: unknown key 'colour' in [dialog] (start, reprompt, retries, "
                "on_fail, garbage)"});
  CHECK(errors_of("[dialog]\nstart = a\n[state a]\nsay = hi\non = yes\n") ==
        strings{"d.ini:5: on needs 'PHRASE | PHRASE ... -> STATE'",
                "d.ini:3: state 'a' neither listens (on, confirm, reject, slot) nor ends the "
                "call (action = hangup | handoff)"});
  CHECK(errors_of("[dialog]\nstart = a\n[state a]\nsay = hi\naction = dance\n") ==
        strings{"d.ini:5: action must be hangup or handoff, not 'dance'",
                "d.ini:3: state 'a' neither listens (on, confirm, reject, slot) nor ends the "
                "call (action = hangup | handoff)"});
  CHECK(errors_of("[dialog]\nstart = a\n[state a]\nsay = you said {pin}\naction = hangup\n") ==
        strings{"d.ini:3: state 'a' says {pin}, which no slot fills"});
  CHECK(errors_of("[dialog]\nstart = a\n[state a]\nsay = hi\nslot = pin digits 40 -> a\n") ==
        strings{"d.ini:5: slot needs 'NAME digits N -> STATE' with N from 1 to 16",
                "d.ini:3: state 'a' neither listens (on, confirm, reject, slot) nor ends the "
                "call (action = hangup | handoff)"});
  CHECK(errors_of("[dialog]\nstart = a\n[state a]\nsay = hi\non = yes | Yes! -> a\n") ==
        strings{"d.ini:5: state 'a' accepts 'yes' twice"});
  CHECK(errors_of("[dialog]\nstart = nowhere\nretries = 99\n[state a]\nsay = x\naction = hangup\n") ==
        strings{"d.ini:3: retries must be a whole number from 0 to 10, not '99'",
                "d.ini:1: no state named 'nowhere'"});
  CHECK(errors_of("[dialog]\nstart = a\n[stat a]\n") ==
        strings{"d.ini:3: unknown section [stat a] ([dialog] or [state NAME], NAME of letters, "
                "digits, _ and -)",
                "d.ini:1: the dialog has no [state NAME] section", "d.ini:1: no state named 'a'"});
  CHECK(errors_of("say = hi\n[dialog]\nstart = a\n[state a]\nsay = hi\naction = hangup\n") ==
        strings{"d.ini:1: 'say' outside a section"});
  std::vector<parse_error> errors;
  CHECK_FALSE(load_script("/nonexistent/d.ini", errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].text() == "/nonexistent/d.ini:0: cannot read the dialog file");
}
