// Slow clients against a real node and provider simulator: a caller who stops reading what
// the node sends is closed once more than admission.max_send_buffer_bytes wait for it, and
// a client that writes its HTTP upgrade a byte at a time is dropped after
// admission.handshake_timeout. Meanwhile a well-behaved caller from another address is
// served with every turn answered and no gaps in its reply audio.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"
#include "tests/support/slow_clients.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::test::get_json;

namespace {

// One well-behaved Twilio caller from 127.0.0.1.
void add_caller(sb::caller::engine& e, int turns) {
  sb::caller::script s;
  s.turns = turns;
  s.reply_timeout = 60s;  // the replies of the first test last seconds
  e.add(s, 0ms);
}

void check_served(sb::caller::engine& e, int turns) {
  for (auto& r : e.results()) {
    INFO("caller: refused " << r.refused_status << " close " << r.close_code << " '"
                            << r.close_reason << "'");
    CHECK(r.connected);
    CHECK(r.turns_answered == turns);
    CHECK(r.turns_failed == 0);
    CHECK(r.gaps == 0);
    CHECK((r.close_code == 0 || r.close_code == 1000));
  }
}

} // namespace

TEST_CASE("a caller who does not read is closed once its send buffer is full") {
  // Replies of about 8 s (200 ms of audio per character, about 130 KiB of Twilio frames),
  // so that what the deaf caller does not read outgrows the kernel's socket buffers (the
  // node fixes its side at 64 KiB) and then the smallest send buffer the node allows.
  const uint32_t limit = 16384;
  sb::test::stack st({"--tts-ms-per-char", "200"},
                     {"admission.max_send_buffer_bytes=" + std::to_string(limit)});
  sb::test::deaf_caller deaf("127.0.0.2", st.node_port, "CAdeaf");
  REQUIRE(deaf.start());
  deaf.stream();
  sb::caller::engine e("127.0.0.1", st.node_port);
  add_caller(e, 1);
  REQUIRE(e.run(90s));
  check_served(e, 1);

  auto admission = [&] { return get_json(st.node_port, "/api/v1/stats")["admission"]; };
  REQUIRE(sb::test::wait_until([&] { return admission()["closed"]["slow_reader"] == 1; }, 60s));
  // The node drops the connection even though its close frame cannot be read either.
  CHECK(sb::test::wait_until([&] { return deaf.dropped(); }, 20s));
  CHECK(sb::test::wait_until(
    [&] { return get_json(st.node_port, "/api/v1/stats")["active_calls"] == 0; }));
  // What waited for the deaf caller never grew past the limit by more than one tick's
  // worth of frames (each Twilio media frame is about 300 bytes).
  const auto peak = admission()["send_buffer_peak_bytes"].get<uint64_t>();
  INFO("peak " << peak << " bytes waiting for the deaf caller");
  CHECK(peak > limit);
  CHECK(peak < limit + 16 * 1024);
  auto metrics = sb::test::http_request(st.node_port, "GET", "/metrics").body;
  CHECK(metrics.find("switchboard_telephony_closed_total{reason=\"slow_reader\"} 1") !=
        std::string::npos);
  CHECK(st.node_log().find("not reading") != std::string::npos);
}

TEST_CASE("an upgrade written a byte at a time is dropped after the handshake timeout") {
  sb::test::stack st({"--tts-ms-per-char", "5"}, {"admission.handshake_timeout=1s"});
  // Twenty connections that write their request a byte every 100 ms and never finish it
  // (a slowloris): libwebsockets alone would hold them for 10 s.
  sb::test::slow_upgrades slow("127.0.0.2", st.node_port, 20, 30s);
  REQUIRE(slow.opened() == 20);
  sb::caller::engine e("127.0.0.1", st.node_port);
  add_caller(e, 2);
  REQUIRE(e.run(60s));
  check_served(e, 2);
  CHECK(slow.join() == 20);
  INFO("the last slow upgrade dropped after "
       << std::chrono::duration_cast<std::chrono::milliseconds>(slow.last_drop()).count()
       << " ms");
  // Dropped after about 1 s (lws counts whole seconds), not after 10 s.
  CHECK(slow.last_drop() < 6s);
}
