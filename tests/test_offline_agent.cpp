// The offline agent end to end, on the repository's cluster.ini (pocketsphinx, the
// scripted dialog dialogs/order-status.ini, espeak-ng): a caller on the Twilio dialect
// speaks with espeak-ng's voice through a phone line (22,050 Hz -> 8 kHz mu-law) at real
// pacing, hears each prompt and walks the dialog to its hang-up. The words are made by
// the espeak-ng command, a process apart from the node's synthesiser. The node runs in
// the test's working directory (the build directory), not the repository's root: it
// finds the dialog next to cluster.ini.
#include <catch2/catch.hpp>

#include <csignal>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "net/codec/audio_codec.hpp"
#include "tests/support/phone_line.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::audio_bytes;
using sb::test::child;
using sb::test::phone_line;

namespace {

double rms(const audio_bytes& mulaw) {
  return sb::codec::rms(mulaw.data(), mulaw.size(), sb::audio_encoding::mulaw);
}

struct offline_node {
  std::string dir = sb::test::temp_dir("sb-offline");
  child node;
  uint16_t port = 0;
  explicit offline_node(const std::vector<std::string>& sets = {}) {
    std::string src = SB_SOURCE_DIR;
    std::vector<std::string> argv{SB_NODE_BIN, "node", "--config", src + "/cluster.ini",
                                  "--port-file", dir + "/node.port", "--set",
                                  "node.listen=127.0.0.1:0", "--set",
                                  "node.cluster_listen=127.0.0.1:0", "--set",
                                  "store.transcripts=sqlite:" + dir + "/transcripts.db", "--set",
                                  "log.level=debug"};
    for (auto& s : sets) {
      argv.push_back("--set");
      argv.push_back(s);
    }
    node = child(argv, dir + "/node.log");
    auto p = sb::test::wait_port_file(dir + "/node.port", 30s);
    if (!p)
      FAIL("the node did not start; see " + dir + "/node.log");
    port = *p;
  }
  ~offline_node() { node.stop(SIGTERM); }

  // The stored record of the one call, once it has ended.
  nlohmann::json ended_call() {
    nlohmann::json rec;
    sb::test::wait_until(
      [&] {
        auto list = sb::test::get_json(port, "/api/v1/calls?limit=1");
        if (!list.contains("calls") || list["calls"].empty())
          return false;
        rec = sb::test::get_json(port, "/api/v1/calls/" +
                                         list["calls"][0].value("call_id", std::string{}));
        return rec.value("status", "") == "ended";
      },
      20s);
    return rec;
  }
};

std::vector<std::string> said_by(const nlohmann::json& rec, const std::string& speaker) {
  std::vector<std::string> out;
  for (auto& e : rec["transcript"])
    if (e.value("speaker", "") == speaker)
      out.push_back(e.value("text", ""));
  return out;
}

} // namespace

TEST_CASE("offline agent: a caller walks the order-status dialog to its hang-up") {
  offline_node n;
  sb::caller::script sc;
  for (auto* words : {"check an order", "what is the weather like today",
                      "maybe something about the weather tomorrow morning", "nine one two three",
                      "yes", "no thank you"})
    sc.utterances.push_back(phone_line(n.dir, words));
  sc.listen_first = true;       // the dialog greets first
  sc.keep_reply_audio = true;
  sc.stay_after_turns = true;   // the node hangs up, not the caller
  sc.pause = 500ms;
  sc.reply_timeout = 20s;
  sc.max_duration = 150s;
  sb::caller::engine callers("127.0.0.1", n.port);
  callers.add(sc);
  REQUIRE(callers.run(170s));
  auto& r = callers.results()[0];
  INFO("node log: " << n.dir << "/node.log");
  CHECK(r.close_code == 1000);
  CHECK(r.close_reason == "the dialog ended the call");
  CHECK(r.turns_failed == 0);
  // The greeting and six answers, each a spoken prompt: audible, and as long as its words.
  REQUIRE(r.replies.size() == 7);
  for (size_t i = 0; i < r.replies.size(); ++i) {
    INFO("reply " << i << ": " << r.replies[i].size() << " bytes, rms " << rms(r.replies[i]));
    CHECK(rms(r.replies[i]) > 300);
    CHECK(r.replies[i].size() >= 8000);      // 1 s or more
    CHECK(r.replies[i].size() <= 8000 * 12);  // 12 s or less
  }
  auto rec = n.ended_call();
  CHECK(rec.value("end_reason", "") == "completed");
  auto heard = said_by(rec, "caller");
  REQUIRE(heard.size() == 6);
  CHECK(heard[0] == "check an order");
  CHECK(heard[3] == "nine one two three");
  CHECK(heard[4] == "yes");
  CHECK(heard[5] == "no thank you");
  auto agent = said_by(rec, "agent");
  REQUIRE(agent.size() == 7);
  CHECK(agent[0] == "Thank you for calling the order status line. Say check an order, or "
                    "speak to an agent.");
  CHECK(agent[1] == "Please say the four digits of your order number.");
  // The two answers about the weather are out of the grammar: the state's re-prompt, each
  // time (the garbage loop takes them, not four digits).
  INFO("heard for the weather: '" << heard[1] << "', '" << heard[2] << "'");
  CHECK(agent[2] == "Sorry, I need the four digits of your order number, one at a time.");
  CHECK(agent[3] == "Sorry, I need the four digits of your order number, one at a time.");
  CHECK(agent[4] == "I heard order 9 1 2 3. Is that right?");
  CHECK(agent[5] == "Order 9 1 2 3 has shipped and arrives tomorrow. Is there anything else?");
  CHECK(agent[6] == "Thank you for calling. Goodbye.");
}

namespace {

// The greeting's audio as one caller hears it (no answer), from a node with these sets.
audio_bytes greeting(const std::vector<std::string>& sets) {
  offline_node n{sets};
  sb::caller::script sc;
  sc.listen_first = true;
  sc.keep_reply_audio = true;
  sc.turns = 0;  // hangs up once the greeting has played
  sb::caller::engine callers("127.0.0.1", n.port);
  callers.add(sc);
  REQUIRE(callers.run(60s));
  REQUIRE(callers.results()[0].replies.size() == 1);
  return callers.results()[0].replies[0];
}

} // namespace

TEST_CASE("offline agent: [tts] espeak_rate sets how fast the prompts are spoken") {
  auto normal = greeting({});
  auto fast = greeting({"tts.espeak_rate=320"});
  INFO(normal.size() << " bytes at 160 words a minute, " << fast.size() << " at 320");
  CHECK(normal.size() > 8000 * 4);  // the greeting's 17 words: over 4 s
  CHECK(fast.size() < normal.size() * 7 / 10);
  CHECK(rms(fast) > 300);
}

TEST_CASE("offline agent: a dialog word missing from [stt] dictionary stops the node at start") {
  auto dir = sb::test::temp_dir("sb-offline");
  std::ofstream(dir + "/d.ini") << "[dialog]\nstart = a\n[state a]\nsay = Hello.\n"
                                   "on = zyxxqv please -> b\n[state b]\nsay = Bye.\n"
                                   "action = hangup\n";
  std::string src = SB_SOURCE_DIR;
  child node({SB_NODE_BIN, "node", "--config", src + "/cluster.ini", "--set",
              "node.listen=127.0.0.1:0", "--set", "node.cluster_listen=127.0.0.1:0", "--set",
              "store.transcripts=sqlite:" + dir + "/t.db", "--set", "llm.dialog=" + dir + "/d.ini"},
             dir + "/node.log");
  CHECK(node.wait_exit(30s) == 1);
  std::ifstream log(dir + "/node.log");
  std::string text{std::istreambuf_iterator<char>(log), {}};
  CHECK(text.find(dir + "/d.ini:5: the word 'zyxxqv' is not in the dictionary "
                  "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict") != std::string::npos);
}
