// Admission at the telephony edge, through a real node: each [admission] limit,
// node.max_calls, draining, connections without start, and the message size and frame
// rate caps. Connections come from different loopback addresses (127.0.0.0/8).
#include <catch2/catch.hpp>

#include <csignal>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;
using sb::test::get_json;
using sb::test::raw_ws;

namespace {

const std::vector<std::string> fast_sim{"--tts-ms-per-char", "5"};

struct node {
  sb::test::stack st;
  explicit node(const std::vector<std::string>& sets)
    : st((sb::test::raise_fd_limit(), fast_sim), sets) {}
  uint16_t port() const { return st.node_port; }
  json admission() { return get_json(st.node_port, "/api/v1/stats")["admission"]; }
  uint64_t refused(const char* reason) { return admission()["refused"].value(reason, 0u); }
  std::string metrics() { return sb::test::http_request(st.node_port, "GET", "/metrics").body; }
};

// Upgrades from `ip` and keeps the connection.
raw_ws open(node& n, const std::string& ip, const std::string& path = "/ws/twilio",
            std::vector<std::string> headers = {}, int* status = nullptr) {
  raw_ws c(ip, n.port());
  REQUIRE(c.ok());
  auto r = c.upgrade(path, headers);
  if (status)
    *status = r.status;
  else
    CHECK(r.status == 101);
  return c;
}

// An upgrade from `ip` that must be refused; returns the answer.
raw_ws::reply refused(node& n, const std::string& ip, const std::string& path = "/ws/twilio",
                      std::vector<std::string> headers = {}) {
  raw_ws c(ip, n.port());
  REQUIRE(c.ok());
  auto r = c.upgrade(path, headers);
  INFO("status " << r.status << " body " << r.body);
  CHECK(r.status != 101);
  return r;
}

void check_refusal(const raw_ws::reply& r, int status, const std::string& error,
                   const std::string& reason_part) {
  INFO("body " << r.body);
  CHECK(r.status == status);
  auto j = json::parse(r.body, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j.value("error", "") == error);
  CHECK(j.value("reason", "").find(reason_part) != std::string::npos);
  REQUIRE(r.headers.count("retry-after") == 1);
  CHECK(std::atoi(r.headers.at("retry-after").c_str()) >= 1);
}

bool calls_are(node& n, int calls) {
  return get_json(n.port(), "/api/v1/stats").value("sessions", -1) == calls;
}

bool pending_is(node& n, int pending) {
  return n.admission().value("pending", -1) == pending;
}

} // namespace

TEST_CASE("calls_per_minute: over the limit answers 429 with a reason and Retry-After") {
  node n({"admission.calls_per_minute=2"});
  auto a = open(n, "127.0.0.1");
  auto b = open(n, "127.0.0.2");
  REQUIRE(a.send_twilio_start("CA1"));
  REQUIRE(b.send_twilio_start("CA2"));
  CHECK(sb::test::wait_until([&] { return calls_are(n, 2); }));
  auto r = refused(n, "127.0.0.3");
  check_refusal(r, 429, "rate_limited", "2 calls per minute on this node");
  CHECK(std::atoi(r.headers["retry-after"].c_str()) > 20);  // one call per 30 s
  a.drop();  // an ended call stays spent
  CHECK(sb::test::wait_until([&] { return calls_are(n, 1); }));
  refused(n, "127.0.0.3");
  CHECK(n.refused("calls_per_minute") == 2);
  CHECK(n.metrics().find(R"(switchboard_admission_refusals_total{reason="calls_per_minute"} 2)") !=
        std::string::npos);
}

TEST_CASE("calls_per_minute: a connection that never starts gives its call back") {
  node n({"admission.calls_per_minute=1"});
  auto idle = open(n, "127.0.0.2");
  check_refusal(refused(n, "127.0.0.1"), 429, "rate_limited", "per minute on this node");
  idle.drop();
  CHECK(sb::test::wait_until([&] { return pending_is(n, 0); }));
  auto caller = open(n, "127.0.0.1");
  CHECK(caller.send_twilio_start("CA1"));
  CHECK(sb::test::wait_until([&] { return calls_are(n, 1); }));
}

TEST_CASE("per_ip_per_minute limits one address, others and trusted_ips are not held back") {
  node n({"admission.per_ip_per_minute=2", "admission.trusted_ips=127.0.0.3/32, ::1"});
  open(n, "127.0.0.2").drop();
  open(n, "127.0.0.2").drop();  // never started: the address's budget is spent all the same
  check_refusal(refused(n, "127.0.0.2"), 429, "rate_limited", "from this address");
  auto other = open(n, "127.0.0.1");
  for (int i = 0; i < 5; ++i)
    open(n, "127.0.0.3").drop();
  CHECK(n.refused("per_ip_per_minute") == 1);
  CHECK(n.metrics().find(R"(switchboard_admission_refusals_total{reason="per_ip_per_minute"} 1)") !=
        std::string::npos);
}

TEST_CASE("X-Forwarded-For names the client only when the peer is a trusted proxy") {
  node n({"admission.per_ip_per_minute=1", "admission.trusted_proxies=127.0.0.1"});
  open(n, "127.0.0.1", "/ws/twilio", {"X-Forwarded-For: 198.51.100.1"}).drop();
  check_refusal(refused(n, "127.0.0.1", "/ws/twilio", {"X-Forwarded-For: 198.51.100.1"}), 429,
                "rate_limited", "from this address");
  // The client wrote a header of its own; the proxy appended the address it saw.
  open(n, "127.0.0.1", "/ws/twilio", {"X-Forwarded-For: 198.51.100.1, 198.51.100.2"}).drop();
  // Not a trusted proxy: its header is ignored, the peer address is the client.
  open(n, "127.0.0.2", "/ws/twilio", {"X-Forwarded-For: 198.51.100.3"}).drop();
  refused(n, "127.0.0.2", "/ws/twilio", {"X-Forwarded-For: 198.51.100.4"});
  CHECK(n.refused("per_ip_per_minute") == 2);
}

TEST_CASE("per_agent_per_minute counts each route tag apart, across dialects") {
  node n({"admission.per_agent_per_minute=1"});
  auto sales = open(n, "127.0.0.1", "/ws/twilio/sales");
  REQUIRE(sales.send_twilio_start("CA1"));
  CHECK(sb::test::wait_until([&] { return calls_are(n, 1); }));
  check_refusal(refused(n, "127.0.0.2", "/ws/twilio/sales"), 429, "rate_limited",
                "for this agent");
  refused(n, "127.0.0.2", "/ws/exotel/sales");
  auto support = open(n, "127.0.0.2", "/ws/twilio/support");
  auto plain = open(n, "127.0.0.2", "/ws/twilio");
  CHECK(n.refused("per_agent_per_minute") == 2);
}

TEST_CASE("node.max_calls: idle connections take no call slot, started calls do") {
  node n({"node.max_calls=1", "call.start_timeout=60s"});
  std::vector<raw_ws> idle;
  for (int i = 0; i < 10; ++i)
    idle.push_back(open(n, "127.0.0.2"));
  // A real caller is served although ten connections wait without start.
  sb::caller::script s;
  s.turns = 1;
  sb::caller::engine e("127.0.0.1", n.port());
  e.add(s);
  REQUIRE(e.run(60s));
  CHECK(e.results()[0].turns_answered == 1);
  CHECK(sb::test::wait_until([&] { return calls_are(n, 0); }));
  auto held = open(n, "127.0.0.1");
  REQUIRE(held.send_twilio_start("CA1"));
  CHECK(sb::test::wait_until([&] { return calls_are(n, 1); }));
  check_refusal(refused(n, "127.0.0.3"), 503, "unavailable", "at capacity");
  // A connection admitted before the node filled up is closed when its start comes.
  REQUIRE(idle[0].send_twilio_start("CA2"));
  auto c = idle[0].read_close(10s);
  REQUIRE(c);
  CHECK(c->code == 4503);
  CHECK(c->reason.find("at capacity") != std::string::npos);
  CHECK(n.refused("capacity") == 2);
  CHECK(get_json(n.port(), "/health")["status"] == "overload");
}

TEST_CASE("draining answers upgrades 503 with a reason and Retry-After") {
  node n({"node.drain_timeout=30s"});
  auto call = open(n, "127.0.0.1");
  REQUIRE(call.send_twilio_start("CA1"));
  CHECK(sb::test::wait_until([&] { return calls_are(n, 1); }));
  kill(n.st.node.pid(), SIGTERM);
  CHECK(sb::test::wait_until(
    [&] { return get_json(n.port(), "/health").value("status", "") == "draining"; }));
  check_refusal(refused(n, "127.0.0.2"), 503, "unavailable", "draining");
  CHECK(n.refused("draining") == 1);
  call.drop();  // the last call ends: the node exits
  CHECK(n.st.node.wait_exit(30s) == 0);
}

TEST_CASE("connections without start are capped per address and on the node") {
  node n({"admission.pending_per_ip=3", "admission.pending_max=5", "call.start_timeout=60s"});
  std::vector<raw_ws> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(open(n, "127.0.0.2"));
  check_refusal(refused(n, "127.0.0.2"), 429, "rate_limited",
                "3 connections without a start event from this address");
  held.push_back(open(n, "127.0.0.3"));
  held.push_back(open(n, "127.0.0.4"));
  check_refusal(refused(n, "127.0.0.1"), 503, "unavailable",
                "5 connections without a start event on this node");
  CHECK(n.admission()["pending"] == 5);
  CHECK(n.metrics().find("switchboard_admission_pending_connections 5") != std::string::npos);
  // One of them starts: it is a call now, and there is room for another.
  REQUIRE(held[0].send_twilio_start("CA1"));
  CHECK(sb::test::wait_until([&] { return calls_are(n, 1); }));
  held.push_back(open(n, "127.0.0.1"));
  held.clear();
  CHECK(sb::test::wait_until([&] { return pending_is(n, 0); }));
  CHECK(n.refused("pending_per_ip") == 1);
  CHECK(n.refused("pending_max") == 1);
}

TEST_CASE("call.start_timeout closes a connection without start with 1008") {
  node n({"call.start_timeout=300ms"});
  auto idle = open(n, "127.0.0.2");
  CHECK(idle.send_text(R"({"event":"connected","protocol":"Call","version":"1.0.0"})"));
  auto c = idle.read_close(10s);
  REQUIRE(c);
  CHECK(c->code == 1008);
  CHECK(c->reason == "no start event within 300 ms");
  CHECK(sb::test::wait_until([&] { return pending_is(n, 0); }));
  CHECK(n.admission()["closed"]["no_start"] == 1);
  CHECK(get_json(n.port(), "/api/v1/stats")["active_calls"] == 0);  // no call was made
}

TEST_CASE("max_message_bytes: an oversized message is closed with 1009 and a reason") {
  node n({"admission.max_message_bytes=2048"});
  auto call = open(n, "127.0.0.1");
  REQUIRE(call.send_twilio_start("CA1"));
  REQUIRE(call.send_text(std::string(4096, ' ')));
  auto c = call.read_close(10s);
  REQUIRE(c);
  CHECK(c->code == 1009);
  CHECK(c->reason == "message too big (limit 2048 bytes)");
  auto small = open(n, "127.0.0.1");  // under 2048 bytes is fine (JSON whitespace)
  REQUIRE(small.send_text(std::string(1900, ' ') +
                          R"({"event":"connected","protocol":"Call","version":"1.0.0"})"));
  // A 4 MiB frame gets the close frame too, long before it has been sent whole.
  auto huge = open(n, "127.0.0.2");
  auto h = huge.send_huge_text(4 << 20, 20s);
  REQUIRE(h);
  CHECK(h->code == 1009);
  CHECK(n.admission()["closed"]["message_size"] == 2);
}

TEST_CASE("the default message cap (64 KiB) answers a 4 MiB frame with a close frame") {
  node n({});
  auto huge = open(n, "127.0.0.2");
  auto h = huge.send_huge_text(4 << 20, 20s);
  REQUIRE(h);
  CHECK(h->code == 1009);
  CHECK(h->reason == "message too big (limit 65536 bytes)");
}

TEST_CASE("max_frames_per_second closes a connection that floods frames with 1008") {
  node n({"admission.max_frames_per_second=60"});
  auto flood = open(n, "127.0.0.2");
  std::string connected = R"({"event":"connected","protocol":"Call","version":"1.0.0"})";
  for (int i = 0; i < 5000; ++i)  // far past the burst of 600 (10 s at the limit)
    if (!flood.send_text(connected))
      break;
  auto c = flood.read_close(10s);
  REQUIRE(c);
  CHECK(c->code == 1008);
  CHECK(c->reason == "too many frames (limit 60 per second)");
  CHECK(n.admission()["closed"]["frame_rate"] == 1);
  // A caller's 50 frames a second are well within 60.
  sb::caller::script s;
  s.turns = 2;
  sb::caller::engine e("127.0.0.1", n.port());
  e.add(s);
  REQUIRE(e.run(60s));
  INFO("close " << e.results()[0].close_code << " " << e.results()[0].close_reason);
  CHECK(e.results()[0].turns_answered == 2);
  auto code = e.results()[0].close_code;  // 1000: the node answered the caller's stop first
  CHECK((code == 0 || code == 1000));
  CHECK(n.admission()["closed"]["frame_rate"] == 1);
}

TEST_CASE("a caller's backlog of 8 s of audio at once is not a flood") {
  // A mobile network that stalls, or a node starved of CPU, delivers the audio of the
  // stall in one go: 400 Twilio frames where the limit is 200 a second. The call goes on.
  node n({});
  auto call = open(n, "127.0.0.2");
  REQUIRE(call.send_twilio_start("CA1"));
  const auto frame = sb::caller::tone_frame(sb::dialect::twilio, false, 0);
  for (int i = 0; i < 400; ++i)
    REQUIRE(call.send_twilio_media("MZCA1", frame));
  REQUIRE(call.send_text(R"({"event":"stop","sequenceNumber":"402","streamSid":"MZCA1",)"
                         R"("stop":{"accountSid":"AC0","callSid":"CA1"}})"));
  // The node took every frame and ended the call on the caller's stop, not for a flood.
  auto c = call.read_close(20s);
  REQUIRE(c);
  CHECK(c->code == 1000);
  CHECK(c->reason == "stream stopped");
  CHECK(n.admission()["closed"]["frame_rate"] == 0);
}
