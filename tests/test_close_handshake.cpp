// The close handshake with a caller whose audio keeps coming, through a real node: when
// the node closes a call (it drains, or the caller broke the protocol) the caller's media
// is still on its way. The node must send its close frame, keep reading (and dropping)
// that media until the caller's close reply, and only then close the socket. Closing it
// with the caller's media unread makes the kernel answer with a reset, and a caller that
// writes once more before reading loses the close frame it had not read yet (it sees the
// connection end with no close code).
#include <catch2/catch.hpp>

#include <csignal>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::test::get_json;
using sb::test::raw_ws;

namespace {

const std::vector<std::string> fast_sim{"--tts-ms-per-char", "5"};

// A started Twilio call from a raw caller (stream sid MZ<call_sid>).
raw_ws start_call(const sb::test::stack& st, const std::string& call_sid) {
  raw_ws c("127.0.0.1", st.node_port);
  REQUIRE(c.ok());
  REQUIRE(c.upgrade("/ws/twilio").status == 101);
  REQUIRE(c.send_twilio_start(call_sid));
  REQUIRE(sb::test::wait_until(
    [&] { return get_json(st.node_port, "/api/v1/stats").value("active_calls", -1) == 1; }));
  return c;
}

size_t count_events(const std::vector<std::string>& texts, const std::string& event) {
  size_t n = 0;
  for (auto& t : texts) {
    auto j = nlohmann::json::parse(t, nullptr, false);
    n += j.is_object() && j.value("event", "") == event;
  }
  return n;
}

} // namespace

TEST_CASE("a caller still sending media while the node drains hears the goodbye, gets 1001 "
          "and a close handshake the node waits for") {
  sb::test::stack st(fast_sim, {"node.drain_timeout=1s"});
  auto c = start_call(st, "CA1");
  const auto noise = sb::caller::tone_frame(sb::dialect::twilio, false, 0);
  kill(st.node.pid(), SIGTERM);
  auto close = c.read_close_talking("MZCA1", noise, 20ms, 30s);
  INFO(st.node_log());
  REQUIRE(close);
  CHECK(close->code == 1001);
  CHECK(close->reason == "the node is shutting down");
  // The goodbye came first: its audio and the mark after it (echoed).
  CHECK(count_events(c.texts(), "media") > 0);
  CHECK(count_events(c.texts(), "mark") >= 1);
  // 200 ms more of media before the caller answers the close: the node takes all of it
  // and closes only after the reply, with a FIN.
  std::string why;
  bool answered = c.answer_close("MZCA1", noise, 10, 20ms, why);
  INFO(why);
  CHECK(answered);
  CHECK(st.node.wait_exit(30s) == 0);
}

TEST_CASE("a caller closed for a binary frame while its media keeps coming gets 1003 and a "
          "close handshake the node waits for") {
  sb::test::stack st(fast_sim, {});
  auto c = start_call(st, "CA2");
  const auto noise = sb::caller::tone_frame(sb::dialect::twilio, false, 0);
  REQUIRE(c.send_binary(std::string(160, '\x7f')));
  auto close = c.read_close_talking("MZCA2", noise, 20ms, 10s);
  INFO(st.node_log());
  REQUIRE(close);
  CHECK(close->code == 1003);
  std::string why;
  bool answered = c.answer_close("MZCA2", noise, 10, 20ms, why);
  INFO(why);
  CHECK(answered);
}
