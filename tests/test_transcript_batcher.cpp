// The transcript batcher (actors/transcript_batcher) on CAF's test coordinator, with an
// in-memory store: batches by count and by delay, a call's entries at its end, failed
// writes kept and retried in order, a bounded buffer that counts what it drops, and a
// flush that answers once everything is written.
#include <catch2/catch.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/transcript_batcher.hpp"
#include "tests/support/virtual_time.hpp"

using namespace std::chrono_literals;

namespace {

// Keeps every batch it is given; fails every write while `failing` is set.
struct memory_store : sb::transcript_store {
  std::vector<sb::store_batch> batches;
  std::string failing;
  int failures = 0;
  std::optional<std::string> open() override { return std::nullopt; }
  std::optional<std::string> write(const sb::store_batch& b) override {
    if (!failing.empty()) {
      ++failures;
      return failing;
    }
    batches.push_back(b);
    return std::nullopt;
  }
  std::optional<sb::call_record> call(const std::string&, std::string&) override {
    return std::nullopt;
  }
  std::vector<sb::transcript_entry> transcript(const std::string&, std::string&) override {
    return {};
  }
  std::vector<sb::call_record> calls(const sb::call_query&, std::string&) override {
    return {};
  }
  int schema_version() override { return 1; }
  std::string describe() const override { return "memory"; }
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (auto& b : batches)
      for (auto& e : b.entries)
        out.push_back(e.text);
    return out;
  }
};

sb::transcript_entry said(const std::string& call, const std::string& text) {
  return {call, 1, "caller", text, 1, 2, false, -1};
}

struct fixture : sb::test::virtual_time_system {
  std::shared_ptr<memory_store> store = std::make_shared<memory_store>();
  std::shared_ptr<sb::batcher_probe> probe = std::make_shared<sb::batcher_probe>();
  caf::actor batcher;
  caf::actor writer;

  explicit fixture(sb::batcher_settings s = {}) {
    writer = sb::spawn_store_writer(sys, store, false);
    batcher = sb::spawn_transcript_batcher(sys, writer, s, probe);
    sched.run();
  }
  ~fixture() {
    caf::anon_send_exit(batcher, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    sched.run();
  }
  void send(sb::transcript_entry e) {
    caf::anon_send(batcher, std::move(e));
    sched.run();
  }
};

sb::batcher_settings settings(uint32_t max_entries, std::chrono::milliseconds delay) {
  sb::batcher_settings s;
  s.max_entries = max_entries;
  s.max_delay = delay;
  return s;
}

} // namespace

TEST_CASE("batcher: a batch is written once max_entries are waiting") {
  fixture f(settings(3, 1s));
  f.send(said("CA1", "a"));
  f.send(said("CA2", "b"));
  CHECK(f.store->batches.empty());
  f.send(said("CA1", "c"));
  REQUIRE(f.store->batches.size() == 1);
  CHECK(f.store->texts() == std::vector<std::string>{"a", "b", "c"});  // across calls
  CHECK(f.probe->entries_written == 3);
  CHECK(f.probe->buffered == 0);
}

TEST_CASE("batcher: an entry waits at most max_delay") {
  fixture f(settings(100, 1s));
  f.send(said("CA1", "a"));
  f.sched.advance_time(999ms);
  f.sched.run();
  CHECK(f.store->batches.empty());
  f.sched.advance_time(1ms);
  f.sched.run();
  REQUIRE(f.store->batches.size() == 1);
  CHECK(f.store->texts() == std::vector<std::string>{"a"});
}

TEST_CASE("batcher: a call's end writes its remaining entries and record at once") {
  fixture f(settings(100, 60s));
  sb::call_record r;
  r.call_id = "CA1";
  caf::anon_send(f.batcher, r);
  f.send(said("CA1", "bye"));
  CHECK(f.store->batches.empty());
  r.status = "ended";
  r.end_reason = "caller_stop";
  caf::anon_send(f.batcher, r);
  f.sched.run();
  REQUIRE(f.store->batches.size() == 1);
  auto& b = f.store->batches[0];
  REQUIRE(b.calls.size() == 1);  // the start and end records of one call: the latest
  CHECK(b.calls[0].status == "ended");
  CHECK(f.store->texts() == std::vector<std::string>{"bye"});
}

TEST_CASE("batcher: a failed write is kept and retried with back-off, before newer entries") {
  fixture f(settings(2, 1s));
  f.store->failing = "disk I/O error";
  f.send(said("CA1", "a"));
  f.send(said("CA1", "b"));  // batch 1 fails
  CHECK(f.store->failures == 1);
  CHECK(f.probe->write_failures == 1);
  CHECK(f.probe->last_error() == "disk I/O error");
  CHECK(f.probe->failing_since_ms > 0);
  f.send(said("CA1", "c"));
  f.send(said("CA1", "d"));
  CHECK(f.probe->buffered == 4);
  f.sched.advance_time(100ms);  // retry_min
  f.sched.run();
  CHECK(f.store->failures == 2);
  f.sched.advance_time(199ms);  // doubled: not yet
  f.sched.run();
  CHECK(f.store->failures == 2);
  f.store->failing.clear();
  f.sched.advance_time(1ms);
  f.sched.run();
  CHECK(f.store->texts() == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(f.probe->failing_since_ms == 0);
  CHECK(f.probe->last_error().empty());
  CHECK(f.probe->dropped == 0);
}

TEST_CASE("batcher: while the store is down it keeps max_buffered entries and counts drops") {
  auto s = settings(3, 1s);
  s.max_buffered = 5;
  fixture f(s);
  f.store->failing = "unreachable";
  for (int i = 0; i < 10; ++i)
    f.send(said("CA1", std::to_string(i)));
  // 3 in the failed batch, 2 waiting; the oldest waiting ones went.
  CHECK(f.probe->dropped == 5);
  CHECK(f.probe->buffered == 5);
  f.store->failing.clear();
  f.sched.advance_time(5s);  // the retry: the failed batch goes
  f.sched.run();
  f.sched.advance_time(1s);  // the rest after max_delay
  f.sched.run();
  CHECK(f.store->texts() == std::vector<std::string>{"0", "1", "2", "8", "9"});
}

TEST_CASE("batcher: a flush answers once everything waiting is written") {
  fixture f(settings(100, 60s));
  f.store->failing = "locked";
  f.send(said("CA1", "a"));
  bool answered = false;
  f.sys.spawn(
    [](caf::event_based_actor* self, caf::actor batcher, bool* done) {
      self->request(batcher, caf::infinite, sb::flush_atom_v).then([done] { *done = true; });
    },
    f.batcher, &answered);
  f.sched.run();
  CHECK_FALSE(answered);  // the write failed: not written yet
  f.store->failing.clear();
  f.sched.advance_time(100ms);
  f.sched.run();
  CHECK(answered);
  CHECK(f.store->texts() == std::vector<std::string>{"a"});
}
