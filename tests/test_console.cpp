// The debug console end to end: `switchboard console --connect ... --exec ... --json`
// against a real two-node cluster with a live call.
#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include "tests/support/cluster.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

const std::vector<std::string> settings{"cluster.secret=console-secret",
                                        "cluster.heartbeat_interval=100ms",
                                        "cluster.failure_timeout=1s"};
const std::vector<std::string> secret{"--secret", "console-secret"};

// A node with the provider simulator (calls work) and a second node joined to it.
struct two_nodes {
  sb::test::stack a;
  std::string a_address;
  std::string dir = sb::test::temp_dir("sb-console");
  sb::test::cluster_node b;
  two_nodes()
    : a({"--tts-ms-per-char", "5"}, with(settings, {"node.name=alpha",
                                                    "node.cluster_listen=127.0.0.1:0"})) {
    a_address = sb::test::get_json(a.node_port, "/api/v1/stats")["cluster"]["members"][0]
                  ["address"];
    b = sb::test::start_cluster_node(dir, "bravo", a_address, 0, settings);
    REQUIRE(sb::test::wait_until(
      [&] { return sb::test::member_states(a.node_port).size() == 2 &&
                   sb::test::member_states(b.http_port)["alpha"] == "up"; },
      20s));
  }
  static std::vector<std::string> with(std::vector<std::string> v,
                                       std::vector<std::string> more) {
    v.insert(v.end(), more.begin(), more.end());
    return v;
  }
};

std::vector<std::string> names_of(const json& list, const char* field = "name") {
  std::vector<std::string> out;
  for (auto& x : list)
    out.push_back(x.value(field, ""));
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

// The first line that starts with `prefix`, or nullptr.
const std::string* find_line(const std::vector<std::string>& lines, const std::string& prefix) {
  for (auto& l : lines)
    if (l.rfind(prefix, 0) == 0)
      return &l;
  return nullptr;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

} // namespace

TEST_CASE("console: nodes, pools and actors as JSON") {
  two_nodes c;
  auto r = sb::test::run_console(c.b.cluster_address, "nodes; pools; actors; pool stt", secret);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.docs.size() == 4);
  auto nodes = r.docs[0];
  CHECK(nodes["command"] == "nodes");
  CHECK(nodes["node"] == "bravo");
  auto names = names_of(nodes["nodes"]);
  CHECK(has(names, "alpha"));
  CHECK(has(names, "bravo"));
  for (auto& n : nodes["nodes"])
    CHECK(n["state"] == "up");
  auto pools = names_of(r.docs[1]["pools"]);
  CHECK(pools == std::vector<std::string>{"stt", "llm", "tts"});
  auto actors = names_of(r.docs[2]["actors"]);
  for (auto a : {"cluster", "console", "calls", "pool/stt", "pool/llm", "pool/tts"})
    CHECK(has(actors, a));
  for (auto& a : r.docs[2]["actors"])
    CHECK(a["mailbox"].is_number());
  auto pool = r.docs[3]["pool"];
  CHECK(pool["name"] == "stt");
  CHECK(pool["holders"].is_array());
  CHECK(pool["waiters"].is_array());
  CHECK(pool["breaker"]["state"] == "closed");

  // What an operator reads without --json: the same answers as aligned tables.
  auto t = sb::test::run_console_text(c.b.cluster_address, "nodes; pools; pool stt; help", secret);
  INFO(t.out << t.err);
  REQUIRE(t.exit_code == 0);
  auto lines = lines_of(t.out);
  auto header = find_line(lines, "name");
  REQUIRE(header);
  CHECK(header->find("address") != std::string::npos);
  CHECK(header->find("state") != std::string::npos);
  for (auto n : {"alpha ", "bravo "}) {
    auto row = find_line(lines, n);
    REQUIRE(row);
    CHECK(row->find(" up ") != std::string::npos);
    // Columns line up: each row's state starts where the header's does.
    CHECK(row->find(" up ") + 1 == header->find("state"));
  }
  for (auto p : {"stt ", "llm ", "tts "})
    CHECK(find_line(lines, p));
  auto pool_line = find_line(lines, "pool stt on bravo: ");
  REQUIRE(pool_line);
  CHECK(pool_line->find("waiting, breaker") != std::string::npos);
  CHECK(find_line(lines, "holders:"));
  CHECK(find_line(lines, "waiters:"));
  CHECK(t.out.find("  drain NODE") != std::string::npos);
  CHECK(t.out.find("{\"command\"") == std::string::npos);  // no JSON in the text view
}

TEST_CASE("console: calls across the cluster and one call in detail") {
  two_nodes c;
  sb::caller::engine e("127.0.0.1", c.a.node_port);
  sb::caller::script s;
  s.turns = 4;
  s.pause = 500ms;
  e.add(s);
  bool done = false;
  std::thread caller([&] { done = e.run(60s); });
  // Asked on bravo: the call lives on alpha.
  json calls;
  CHECK(sb::test::wait_until(
    [&] {
      auto r = sb::test::run_console(c.b.cluster_address, "calls", secret);
      if (r.exit_code != 0 || r.docs.empty())
        return false;
      calls = r.docs[0];
      return calls.value("count", 0) == 1;
    },
    20s));
  INFO(calls.dump());
  REQUIRE(calls["calls"].size() == 1);
  CHECK(calls["calls"][0]["node"] == "alpha");
  CHECK(calls["nodes"]["alpha"] == 1);
  CHECK(calls["nodes"]["bravo"] == 0);
  auto id = calls["calls"][0]["id"].get<std::string>();
  auto r = sb::test::run_console(c.b.cluster_address, "call " + id + "; calls bravo", secret);
  INFO(r.out << r.err);
  caller.join();
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.docs.size() == 2);
  auto call = r.docs[0]["call"];
  CHECK(r.docs[0]["node"] == "alpha");
  CHECK(call["id"] == id);
  CHECK(has({"STARTING", "LISTENING", "THINKING", "RESPONDING", "ENDED"},
            call["state"].get<std::string>()));
  CHECK(call["history"].is_array());
  CHECK(call["leases"].is_array());
  CHECK(call["timings"]["age_ms"] >= 0);
  CHECK(r.docs[1]["count"] == 0);
  CHECK(done);

  // Once it has ended, `call ID` (the call sid) shows what alpha's store holds of it,
  // asked on bravo as well.
  json stored;
  CHECK(sb::test::wait_until([&] {
    auto s = sb::test::run_console(c.b.cluster_address, "call CAsim0", secret);
    if (s.exit_code != 0 || s.docs.empty())
      return false;
    stored = s.docs[0];
    return stored.value("stored", false) && stored["call"]["status"] == "ended";
  }));
  INFO(stored.dump());
  CHECK(stored["node"] == "alpha");
  CHECK(stored["call"]["end_reason"] == "caller_stop");
  CHECK(stored["call"]["turns"] == 4);
  REQUIRE(stored["call"]["transcript"].size() == 8);
  CHECK(stored["call"]["transcript"][0]["speaker"] == "caller");
  CHECK(stored["call"]["transcript"][0]["text"] == "caller utterance 1");
  CHECK(stored["call"]["transcript"][1]["speaker"] == "agent");
  auto with_secret = sb::test::run_console_text(c.b.cluster_address, "call CAsim0", secret);
  INFO(with_secret.out << with_secret.err);
  REQUIRE(with_secret.exit_code == 0);
  CHECK(with_secret.out.find("call CAsim0 (stored on alpha): ended, caller_stop, 4 turns") !=
        std::string::npos);
  CHECK(with_secret.out.find("    1 caller: caller utterance 1\n") != std::string::npos);
  auto none = sb::test::run_console(c.b.cluster_address, "call CAnever", secret);
  CHECK(none.exit_code != 0);
  CHECK(none.err.find("no call 'CAnever' on any node") != std::string::npos);
}

TEST_CASE("console: wrong secret, unknown command and unknown node fail with a message") {
  two_nodes c;
  auto wrong = sb::test::run_console(c.a_address, "nodes", {"--secret", "nope"});
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.err.find("wrong secret") != std::string::npos);
  // The secret from the environment works.
  auto env = sb::test::run_console(c.a_address, "nodes", {},
                                   {"SWITCHBOARD_CLUSTER_SECRET=console-secret"});
  CHECK(env.exit_code == 0);
  auto bad = sb::test::run_console(c.a_address, "nodes; frobnicate", secret);
  CHECK(bad.exit_code == 1);
  REQUIRE(bad.docs.size() == 2);
  CHECK(bad.docs[1]["error"].get<std::string>().find("unknown command") != std::string::npos);
  CHECK(bad.err.find("frobnicate") != std::string::npos);
  auto nowhere = sb::test::run_console(c.a_address, "pools zulu", secret);
  CHECK(nowhere.exit_code == 1);
  CHECK(nowhere.err.find("zulu") != std::string::npos);
  auto no_port = sb::test::run_console("127.0.0.1", "nodes", secret);
  CHECK(no_port.exit_code == 1);
  CHECK(no_port.err.find("HOST:PORT") != std::string::npos);
}

TEST_CASE("console: watch with a count ends, drain stops the named node") {
  two_nodes c;
  auto w = sb::test::run_console(c.a_address, "watch 2", secret);
  INFO(w.out << w.err);
  CHECK(w.exit_code == 0);
  REQUIRE(w.docs.size() == 2);
  for (auto& d : w.docs) {
    CHECK(d["command"] == "summary");
    CHECK(d["nodes"].size() == 2);
    CHECK(d["pools"].size() == 3);
  }
  // Drain bravo through alpha: bravo drains and exits 0, alpha sees it leave.
  auto d = sb::test::run_console(c.a_address, "drain bravo", secret);
  INFO(d.out << d.err);
  CHECK(d.exit_code == 0);
  CHECK(c.b.proc.wait_exit(30s) == 0);
  CHECK(sb::test::wait_until(
    [&] { return sb::test::member_states(c.a.node_port)["bravo"] == "down"; }, 20s));
}
