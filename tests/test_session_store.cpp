// The session store (actors/session_store) on CAF's test coordinator: in memory, a
// snapshot read back, kept for `ttl` after a call that may come back, dropped for one
// that is over, never expiring while its call lives; with a backend, writes coalesced
// (the latest snapshot of a call), failed batches kept and sent again with newer
// snapshots winning, live calls refreshed every interval, reads answered from what waits
// first, and a flush that answers once everything is written.
#include <catch2/catch.hpp>

#include <map>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/session_store.hpp"
#include "tests/support/virtual_time.hpp"

using namespace std::chrono_literals;

namespace {

// A backend in memory: applies each batch; fails every write while `failing` is set.
struct fake_backend : sb::session_backend {
  std::map<std::string, sb::session_snapshot> kept;
  std::vector<sb::session_batch> batches;
  std::vector<std::chrono::milliseconds> ttls;
  std::string failing;
  int failures = 0;
  std::optional<std::string> write(const sb::session_batch& b,
                                   std::chrono::milliseconds ttl) override {
    if (!failing.empty()) {
      ++failures;
      return failing;
    }
    batches.push_back(b);
    ttls.push_back(ttl);
    for (auto& s : b.puts)
      kept[s.call_id] = s;
    for (auto& id : b.removes)
      kept.erase(id);
    return std::nullopt;
  }
  sb::session_snapshot get(const std::string& id, std::string&) override {
    auto i = kept.find(id);
    if (i == kept.end())
      return {};
    auto s = i->second;
    s.found = true;
    return s;
  }
  std::string describe() const override { return "fake"; }
  size_t touches_of(const std::string& id) const {
    size_t n = 0;
    for (auto& b : batches)
      n += static_cast<size_t>(std::count(b.touches.begin(), b.touches.end(), id));
    return n;
  }
};

sb::session_snapshot snap(const std::string& id, uint32_t turn) {
  sb::session_snapshot s;
  s.call_id = id;
  s.turn = turn;
  s.node = "n1";
  for (uint32_t i = 1; i <= turn; ++i) {
    s.history.push_back({"user", "question " + std::to_string(i)});
    s.history.push_back({"assistant", "answer " + std::to_string(i)});
  }
  return s;
}

struct fixture : sb::test::virtual_time_system {
  std::shared_ptr<fake_backend> backend = std::make_shared<fake_backend>();
  std::shared_ptr<sb::session_probe> probe = std::make_shared<sb::session_probe>();
  caf::actor writer;
  caf::actor store;

  fixture(bool with_backend, sb::session_settings s = settings()) {
    if (with_backend)
      writer = sb::spawn_session_writer(sys, backend, false);
    store = sb::spawn_session_store(sys, writer, s, probe);
    sched.run();
  }
  ~fixture() {
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    if (writer)
      caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    sched.run();
  }
  static sb::session_settings settings() {
    sb::session_settings s;
    s.ttl = 60s;
    s.refresh_interval = 20s;
    return s;
  }
  void put(sb::session_snapshot s) {
    caf::anon_send(store, sb::session_put_atom_v, std::move(s));
    sched.run();
  }
  void end(const std::string& id, bool keep) {
    caf::anon_send(store, sb::session_end_atom_v, id, keep);
    sched.run();
  }
  // Reads a snapshot the way a call actor does (a request), on virtual time.
  sb::session_snapshot get(const std::string& id) {
    sb::session_snapshot out;
    bool answered = false;
    // (A function actor gets an argument: CAF 0.17 binds a null tuple without one.)
    sys.spawn([&](caf::event_based_actor* self, std::string id) {
      self->request(store, 5s, sb::session_get_atom_v, id)
        .then([&](sb::session_snapshot& s) {
          out = s;
          answered = true;
        });
    }, id);
    sched.run();
    REQUIRE(answered);
    return out;
  }
  void advance(std::chrono::milliseconds d) {
    sched.advance_time(d);
    sched.run();
  }
};

} // namespace

TEST_CASE("sessions in memory: a call's latest snapshot is read back") {
  fixture f(false);
  CHECK_FALSE(f.get("CA1").found);
  f.put(snap("CA1", 1));
  f.put(snap("CA1", 2));
  auto s = f.get("CA1");
  REQUIRE(s.found);
  CHECK(s.turn == 2);
  REQUIRE(s.history.size() == 4);
  CHECK(s.history[2].content == "question 2");
  CHECK(f.probe->live == 1);
  CHECK(f.probe->reads == 2);
  CHECK(f.probe->found == 1);
}

TEST_CASE("sessions in memory: a call that may come back is kept for ttl, one that is over goes") {
  fixture f(false);
  f.put(snap("CA1", 1));
  f.put(snap("CA2", 1));
  f.end("CA1", true);   // the socket closed without a stop
  f.end("CA2", false);  // stop: the call is over
  CHECK_FALSE(f.get("CA2").found);
  f.advance(59s);
  CHECK(f.get("CA1").found);
  f.advance(1s);  // ttl after its end
  CHECK_FALSE(f.get("CA1").found);
  f.advance(20s);  // the sweep takes it out of memory
  CHECK(f.probe->kept == 0);
  CHECK(f.probe->expired == 1);
}

TEST_CASE("sessions in memory: a live call's snapshot never expires") {
  fixture f(false);
  f.put(snap("CA1", 1));
  f.advance(10min);
  CHECK(f.get("CA1").found);
  CHECK(f.probe->expired == 0);
}

TEST_CASE("sessions with a backend: snapshots are written, read back and dropped at the end") {
  fixture f(true);
  f.put(snap("CA1", 1));
  REQUIRE(f.backend->kept.count("CA1"));
  CHECK(f.backend->ttls.at(0) == 60s);
  CHECK(f.get("CA1").turn == 1);
  f.end("CA1", false);
  CHECK_FALSE(f.backend->kept.count("CA1"));
  CHECK_FALSE(f.get("CA1").found);
  CHECK(f.probe->write_failures == 0);
}

TEST_CASE("sessions with a backend: live calls are refreshed every interval, ended ones not") {
  fixture f(true);
  f.put(snap("CA1", 1));
  f.put(snap("CA2", 1));
  f.end("CA2", true);  // kept: its TTL counts from its end (one refresh), then no more
  CHECK(f.backend->touches_of("CA2") == 1);
  f.advance(20s);
  CHECK(f.backend->touches_of("CA1") == 1);
  f.advance(20s);
  CHECK(f.backend->touches_of("CA1") == 2);
  CHECK(f.backend->touches_of("CA2") == 1);
  CHECK(f.probe->live == 1);
}

TEST_CASE("sessions with a backend: a failed write is kept and sent again, the newest wins") {
  fixture f(true);
  f.backend->failing = "connection refused";
  f.put(snap("CA1", 1));
  CHECK(f.backend->failures == 1);
  CHECK(f.probe->failing_since_ms > 0);
  CHECK(f.probe->last_error() == "connection refused");
  f.put(snap("CA1", 2));  // newer, while the first waits for its retry
  f.put(snap("CA2", 1));
  CHECK(f.probe->waiting == 2);
  // A read answers from what waits: the call resumes even while the backend is down.
  CHECK(f.get("CA1").turn == 2);
  f.backend->failing.clear();
  f.advance(100ms);  // retry_min
  REQUIRE(f.backend->kept.size() == 2);
  CHECK(f.backend->kept["CA1"].turn == 2);
  CHECK(f.probe->failing_since_ms == 0);
  CHECK(f.probe->waiting == 0);
  CHECK(f.probe->dropped == 0);
}

TEST_CASE("sessions with a backend: a flush answers once everything is written") {
  fixture f(true);
  f.backend->failing = "timeout";
  f.put(snap("CA1", 3));
  bool flushed = false;
  f.sys.spawn([&](caf::event_based_actor* self, int) {
    self->request(f.store, 60s, sb::flush_atom_v).then([&] { flushed = true; });
  }, 0);
  f.sched.run();
  CHECK_FALSE(flushed);
  f.backend->failing.clear();
  f.advance(100ms);
  CHECK(flushed);
  CHECK(f.backend->kept["CA1"].turn == 3);
}

TEST_CASE("sessions with a backend: past max_waiting a new call's snapshot is counted, not kept") {
  auto s = fixture::settings();
  s.max_waiting = 2;
  fixture f(true, s);
  f.backend->failing = "down";
  f.put(snap("CA1", 1));
  f.put(snap("CA2", 1));
  f.put(snap("CA3", 1));
  f.put(snap("CA1", 2));  // a call already waiting still gets its newest snapshot kept
  CHECK(f.probe->dropped == 1);
  CHECK(f.probe->waiting == 2);
  f.backend->failing.clear();
  f.advance(100ms);
  CHECK(f.backend->kept.size() == 2);
  CHECK(f.backend->kept["CA1"].turn == 2);
}
