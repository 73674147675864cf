// Resumed calls through real nodes: a caller's stream that comes back with the same call
// sid goes on with its conversation instead of starting over. On one node with the
// default in-memory session store (the stream dropped without a stop); and across nodes
// sharing a Redis session store, after the node holding the call is killed (kill -9) or
// drained (SIGTERM). The oracle is what the LLM is asked: the provider simulator keeps the
// messages of every request it answered, and the resumed call's first request must hold
// the earlier turns, which the new node never heard itself.
#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

#include <hiredis/hiredis.h>
#include <nlohmann/json.hpp>

#include "net/codec/session_json.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using sb::test::get_json;

namespace {

const std::string greeting = "Welcome to the order line.";

// The conversations the simulator's LLM was asked, oldest first, without the system
// prompt.
std::vector<json> llm_requests(uint16_t sim_port) {
  std::vector<json> out;
  auto all = get_json(sim_port, "/sim/llm/requests");
  for (auto& msgs : all["requests"]) {
    json conv = json::array();
    for (auto& m : msgs)
      if (m["role"] != "system")
        conv.push_back({{"role", m["role"]}, {"content", m["content"]}});
    out.push_back(conv);
  }
  return out;
}

sb::caller::script caller(int turns, bool stay) {
  sb::caller::script s;
  s.call_sid = "CAresume1";
  s.turns = turns;
  s.stay_after_turns = stay;
  s.max_duration = stay ? 120000ms : 60000ms;
  return s;
}

// The snapshot of CAresume1 as Redis holds it (found = false while there is none).
sb::session_snapshot redis_snapshot(uint16_t port) {
  sb::session_snapshot s;
  auto* c = redisConnect("127.0.0.1", port);
  if (!c || c->err) {
    if (c)
      redisFree(c);
    return s;
  }
  auto* r = static_cast<redisReply*>(redisCommand(c, "GET switchboard:session:CAresume1"));
  std::string why;
  if (r && r->type == REDIS_REPLY_STRING &&
      sb::codec::snapshot_from_json(std::string(r->str, r->len), s, why))
    s.found = true;
  if (r)
    freeReplyObject(r);
  redisFree(c);
  return s;
}

long long key_ttl_ms(uint16_t port) {
  auto* c = redisConnect("127.0.0.1", port);
  REQUIRE(c);
  auto* r = static_cast<redisReply*>(redisCommand(c, "PTTL switchboard:session:CAresume1"));
  long long v = r ? r->integer : -3;
  if (r)
    freeReplyObject(r);
  redisFree(c);
  return v;
}

json history_json(const sb::session_snapshot& s) {
  json h = json::array();
  for (auto& m : s.history)
    h.push_back({{"role", m.role}, {"content", m.content}});
  return h;
}

// The first node's call: two turns, then it stays on (silent) until the node goes.
// Returns once the session store holds both turns with their replies.
void two_turns_on(uint16_t redis_port, sb::caller::engine& e, std::thread& t) {
  e.add(caller(2, true), 0ms);
  t = std::thread([&e] { e.run(120s); });
  REQUIRE(sb::test::wait_until(
    [&] {
      auto s = redis_snapshot(redis_port);
      return s.found && s.history.size() == 4 && s.state == "LISTENING";
    },
    60s));
}

// The second node's call: the same call sid, one more turn; checks what its LLM was asked
// and what its store recorded.
void resumed_on(sb::test::stack& b, const json& before) {
  sb::caller::engine e("127.0.0.1", b.node_port);
  e.add(caller(1, false), 0ms);
  REQUIRE(e.run(60s));
  auto& r = e.results()[0];
  INFO("caller: answered " << r.turns_answered << ", frames " << r.media_frames << ", marks "
                           << r.marks << ", close " << r.close_code << " " << r.close_reason);
  REQUIRE(r.turns_answered == 1);
  auto asked = llm_requests(b.sim_port);
  INFO("node: " << get_json(b.node_port, "/api/v1/calls/CAresume1").dump());
  REQUIRE(asked.size() == 1);
  // The earlier turns, which this node never heard, then the caller's new words.
  auto conv = asked[0];
  INFO("asked: " << conv.dump());
  REQUIRE(conv.size() == before.size() + 1);
  for (size_t i = 0; i < before.size(); ++i)
    CHECK(conv[i] == before[i]);
  CHECK(conv.back()["role"] == "user");
  CHECK(get_json(b.node_port, "/api/v1/stats")["session_store"]["found"] == 1);
  // Its transcript goes on where the call was (turn 4: the greeting, two turns before);
  // the caller is not greeted again.
  REQUIRE(sb::test::wait_until([&] {
    return get_json(b.node_port, "/api/v1/calls/CAresume1")["status"] == "ended";
  }));
  auto rec = get_json(b.node_port, "/api/v1/calls/CAresume1");
  REQUIRE(rec["transcript"].size() == 2);
  CHECK(rec["transcript"][0]["speaker"] == "caller");
  CHECK(rec["transcript"][0]["turn"] == 4);
  for (auto& entry : rec["transcript"])
    CHECK(entry["text"] != greeting);
  CHECK(rec["turns"] == 4);
}

} // namespace

TEST_CASE("a stream that comes back to the same node goes on with its conversation") {
  sb::test::stack st({"--tts-ms-per-char", "5"}, {});
  {
    sb::caller::engine e("127.0.0.1", st.node_port);
    auto s = caller(2, false);
    s.send_stop = false;  // the media stream drops: no stop event
    e.add(s, 0ms);
    REQUIRE(e.run(60s));
    REQUIRE(e.results()[0].turns_answered == 2);
  }
  auto first = llm_requests(st.sim_port);
  REQUIRE(first.size() == 2);
  {
    sb::caller::engine e("127.0.0.1", st.node_port);
    e.add(caller(1, false), 0ms);
    REQUIRE(e.run(60s));
    REQUIRE(e.results()[0].turns_answered == 1);
  }
  auto asked = llm_requests(st.sim_port);
  REQUIRE(asked.size() == 3);
  // u1 a1 u2 a2 u3: the second request held u1 a1 u2; the reply to it came in between.
  REQUIRE(asked[2].size() == 5);
  for (size_t i = 0; i < 3; ++i)
    CHECK(asked[2][i] == first[1][i]);
  CHECK(asked[2][3]["role"] == "assistant");
  CHECK(asked[2][4]["role"] == "user");
  CHECK(get_json(st.node_port, "/api/v1/stats")["session_store"]["found"] == 1);
  auto metrics = sb::test::http_request(st.node_port, "GET", "/metrics").body;
  CHECK(metrics.find("switchboard_calls_resumed_total 1") != std::string::npos);

  // A call that ended with a stop is over: the same sid again starts a new conversation.
  {
    sb::caller::engine e("127.0.0.1", st.node_port);
    e.add(caller(1, false), 0ms);
    REQUIRE(e.run(60s));
  }
  auto after = llm_requests(st.sim_port);
  REQUIRE(after.size() == 4);
  CHECK(after[3].size() == 1);
}

// Two nodes (each with its own simulator and transcript store) sharing one Redis session
// store; the call has had two turns on the first, which stays on the line.
struct two_nodes_on_redis {
  std::string dir = sb::test::temp_dir("sb-resume");
  sb::test::redis_server redis{dir};
  sb::test::stack a;
  sb::test::stack b;
  sb::caller::engine e;
  std::thread t;
  json before;  // the conversation as the snapshot holds it after those two turns
  explicit two_nodes_on_redis(const std::string& extra)
    : a({"--tts-ms-per-char", "5"}, sets(extra)),
      b({"--tts-ms-per-char", "5"}, sets(extra)),
      e("127.0.0.1", a.node_port) {
    two_turns_on(redis.port, e, t);
    before = history_json(redis_snapshot(redis.port));
  }
  ~two_nodes_on_redis() {
    if (t.joinable()) {  // a failed check before the first node went
      e.request_stop();
      t.join();
    }
  }
  std::vector<std::string> sets(const std::string& extra) const {
    return {"sessions.backend=" + redis.url(), "call.greeting=" + greeting, extra};
  }
};

TEST_CASE("a call on a node killed with -9 resumes on another node from Redis") {
  two_nodes_on_redis n("sessions.ttl=30m");
  // The snapshot expires sessions.ttl after its last write or refresh.
  auto left = key_ttl_ms(n.redis.port);
  CHECK(left > 0);
  CHECK(left <= 30 * 60 * 1000);
  CHECK(left > 29 * 60 * 1000);
  n.a.node.stop(SIGKILL);
  n.t.join();  // the caller's stream broke with the node
  CHECK(n.e.results()[0].turns_answered == 2);
  resumed_on(n.b, n.before);
}

TEST_CASE("a call on a node that drains (SIGTERM) resumes on another node from Redis") {
  two_nodes_on_redis n("node.drain_timeout=1s");
  CHECK(n.a.node.stop(SIGTERM) == 0);  // the call still up after the drain ends `shutdown`
  n.t.join();
  CHECK(n.e.results()[0].close_code == 1001);
  // Ended by the node, not by the caller: its snapshot stays for the stream to come back.
  CHECK(redis_snapshot(n.redis.port).found);
  resumed_on(n.b, n.before);
}
