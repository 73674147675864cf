// Writes the seed corpus of fuzz_cluster_messages: real messages of each type, filled as
// the cluster fills them, serialized as they cross the wire. Usage: fuzz_cluster_seeds DIR
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/make_message.hpp>

#include "fuzz/cluster_types.hpp"
#include "messages/register.hpp"

using namespace sb;

namespace {

member_info node(const char* name, uint64_t inc) {
  member_info m;
  m.name = name;
  m.address = "127.0.0.1:7401";
  m.incarnation = inc;
  m.active_calls = 12;
  m.capacity = 100;
  m.last_heard_ms = 250;
  return m;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  caf::actor_system_config cfg;
  register_types(cfg);
  caf::actor_system sys{cfg};
  // Actor handles as the seeds carry them: none (a handle of another node needs the
  // middleman's proxies to read, which the fuzz target has not: it errs there).
  caf::actor front;
  pool_front_actor typed_front;

  member_info a = node("node-1", 0x1234abcd), b = node("node-2", 0x9876);
  b.state = member_state::down;
  b.down_reason = "no heartbeat for 1200 ms";
  cluster_hello hello{"member", "node-2", "127.0.0.1:7402", 0x9876, "00ff11ee22dd",
                      200, 1200, 3000, 500, "redis://127.0.0.1:6379"};
  pool_stats stats;
  stats.name = "stt";
  call_snapshot snap;
  snap.session = 7;
  snap.call_sid = "CA1";
  snap.stream_sid = "MZ1";
  snap.dialect = "twilio";
  snap.state = "LISTENING";
  snap.history = {{"user", "hello"}, {"assistant", "Hi, how can I help?"}};
  snap.leases = {{"stt", 3, 41, 1500}};

  size_t index = 0;
  bool ok = true;
  // The typed value alone (first byte: its index in cluster_types.hpp), and the whole
  // message as the middleman sends it (first byte past the last index).
  auto add = [&](const std::string& name, auto value) {
    std::vector<char> typed{static_cast<char>(index++)};
    caf::binary_serializer sink{sys, typed};
    auto msg = caf::make_message(value);
    std::vector<char> whole{static_cast<char>(0xff)};
    caf::binary_serializer sink2{sys, whole};
    if (sink(value) || sink2(msg)) {
      std::fprintf(stderr, "cannot serialize %s\n", name.c_str());
      ok = false;
      return;
    }
    std::ofstream(dir + "/" + name, std::ios::binary).write(typed.data(), typed.size());
    std::ofstream(dir + "/message_" + name, std::ios::binary).write(whole.data(), whole.size());
  };
  add("member_info", a);
  add("cluster_hello", hello);
  add("cluster_challenge", cluster_challenge{"a1b2c3", "deadbeef"});
  add("cluster_join", cluster_join{"cafebabe", b});
  add("cluster_welcome", cluster_welcome{{a, b}});
  add("cluster_heartbeat", cluster_heartbeat{a, {a, b}});
  add("cluster_leave", cluster_leave{"node-2", 0x9876});
  add("console_request", console_request{"calls node-2", true});
  console_answer answer;
  answer.command = "nodes";
  answer.node = "node-1";
  answer.nodes = {a, b};
  add("console_answer", answer);
  add("pool_member", pool_member{"node-1", typed_front});
  add("pool_view", pool_view{"node-1", {{"node-1", typed_front}}, true});
  add("pool_held", pool_held{5, "key-a", 0, 300});
  add("pool_adopt", pool_adopt{"node-2", front, {{5, "key-a", 0, 300}}});
  add("pool_adopted", pool_adopted{{41, 42}});
  add("pool_renew", pool_renew{"node-2", 3, {41, 42}});
  add("pool_renewed", pool_renewed{3, "node-1", {42}, 3000, 2});
  add("pool_fronts", pool_fronts{{"stt", "llm"}, {typed_front, typed_front}});
  add("pool_acquire", pool_acquire{9, std::chrono::seconds(5), 400});
  add("pool_lease", pool_lease{41, 9, 0, "key-a", 12});
  add("pool_release", pool_release{41, 380, lease_outcome::rate_limited, 2000, 350});
  add("pool_cancel", pool_cancel{9});
  add("pool_stats", stats);
  add("call_lease_info", call_lease_info{"stt", 3, 41, 1500});
  add("call_snapshot", snap);
  add("chat_messages", snap.history);
  if (index != fuzz::cluster_type_count) {
    std::fprintf(stderr, "one sample per type in cluster_types.hpp\n");
    return 1;
  }
  return ok ? 0 : 1;
}
