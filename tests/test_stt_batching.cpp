// Caller audio reaches the STT provider whole and in fewer messages ([stt] send_interval).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;

namespace {

using sb::test::get_json;

struct sent_and_heard {
  uint64_t frames_sent = 0;   // the callers' 20 ms frames
  uint64_t messages = 0;      // audio messages the provider received
  uint64_t bytes = 0;         // audio bytes the provider received
  int turns_answered = 0;
};

// Two callers who speak three times each, then hang up; what the provider got once both
// calls and their STT streams have ended.
sent_and_heard two_calls(const std::vector<std::string>& sets) {
  sb::test::stack st({"--tts-ms-per-char", "5"}, sets);
  sb::caller::engine e("127.0.0.1", st.node_port);
  sb::caller::script s;
  s.turns = 3;
  e.add(s);
  e.add(s);
  REQUIRE(e.run(60s));
  sent_and_heard r;
  for (auto& c : e.results()) {
    r.frames_sent += c.frames_sent;
    r.turns_answered += c.turns_answered;
  }
  // The streams end (CloseStream after the last audio) once the calls are over.
  auto stt_streams_open = [&] {
    auto stt = get_json(st.sim_port, "/sim/stats").value("stt", nlohmann::json::object());
    int open = 0;
    for (auto& [key, c] : stt.items())
      if (c.is_object())
        open += c.value("current", 0);
    return open;
  };
  REQUIRE(sb::test::wait_until([&] {
    return get_json(st.node_port, "/api/v1/stats").value("active_calls", -1) == 0 &&
           stt_streams_open() == 0;
  }));
  auto a = get_json(st.sim_port, "/sim/stats")["stt_audio"];
  r.messages = a.value("messages", uint64_t{0});
  r.bytes = a.value("bytes", uint64_t{0});
  return r;
}

} // namespace

TEST_CASE("caller audio goes to STT in batches, every byte of it") {
  auto r = two_calls({});
  INFO("frames " << r.frames_sent << " messages " << r.messages << " bytes " << r.bytes);
  CHECK(r.turns_answered == 6);
  // Every frame the callers sent reached the provider: 160 bytes of mu-law each.
  CHECK(r.bytes == r.frames_sent * 160);
  // Fewer messages than frames: up to 100 ms a message, single frames only around the
  // starts and ends of speech (these short turns are mostly such moments: about 0.47 of
  // a message per frame here, against 1.0 unbatched).
  CHECK(r.messages * 3 < r.frames_sent * 2);
}

TEST_CASE("stt.send_interval = 0 sends each frame as it comes") {
  auto r = two_calls({"stt.send_interval=0ms"});
  INFO("frames " << r.frames_sent << " messages " << r.messages << " bytes " << r.bytes);
  CHECK(r.turns_answered == 6);
  CHECK(r.bytes == r.frames_sent * 160);
  // Only audio that queued while a stream was connecting goes together.
  CHECK(r.messages * 10 > r.frames_sent * 9);
}
