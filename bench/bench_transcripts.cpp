// The transcript path's throughput and its store writes per entry (actors/transcript_batcher
// with its detached store writer, on CAF's real scheduler, against a real store):
// C calls each report their start record, E/C entries and their end record as fast as one
// sender can; the batcher writes them in batches of up to --max-entries (1 = no batching:
// one transaction per entry). Measures entries per second from the first entry to the
// flush's answer, store transactions per entry, and the time inside the store per write.
//
//   bench_transcripts --store sqlite:/tmp/t.db --entries 50000 --calls 100 --max-entries 100
//   bench_transcripts --store postgresql://sb@127.0.0.1:5432/switchboard --max-entries 1
//
// JSON on stdout (one line), a summary on stderr; exits non-zero when an entry is missing.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/transcript_batcher.hpp"
#include "messages/register.hpp"
#include "net/store/postgres_store.hpp"
#include "net/store/sqlite_store.hpp"

using clk = std::chrono::steady_clock;

namespace {

// The real store, counting its writes and the time spent in them.
struct counting_store : sb::transcript_store {
  std::shared_ptr<sb::transcript_store> inner;
  std::atomic<uint64_t> writes{0};
  std::atomic<int64_t> write_us{0};
  std::optional<std::string> open() override { return inner->open(); }
  std::optional<std::string> write(const sb::store_batch& b) override {
    auto t0 = clk::now();
    auto e = inner->write(b);
    write_us += std::chrono::duration_cast<std::chrono::microseconds>(clk::now() - t0).count();
    ++writes;
    return e;
  }
  std::optional<sb::call_record> call(const std::string& id, std::string& err) override {
    return inner->call(id, err);
  }
  std::vector<sb::transcript_entry> transcript(const std::string& id, std::string& err) override {
    return inner->transcript(id, err);
  }
  std::vector<sb::call_record> calls(const sb::call_query& q, std::string& err) override {
    return inner->calls(q, err);
  }
  int schema_version() override { return inner->schema_version(); }
  std::string describe() const override { return inner->describe(); }
};

long arg(int argc, char** argv, const std::string& name, long dflt) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name)
      return std::stol(argv[i + 1]);
  return dflt;
}

std::string sarg(int argc, char** argv, const std::string& name, const std::string& dflt) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name)
      return argv[i + 1];
  return dflt;
}

} // namespace

int main(int argc, char** argv) {
  const auto uri = sarg(argc, argv, "--store", "sqlite:/tmp/bench-transcripts.db");
  const long entries = arg(argc, argv, "--entries", 50000);
  const long calls = arg(argc, argv, "--calls", 100);
  const long max_entries = arg(argc, argv, "--max-entries", 100);
  const long delay_ms = arg(argc, argv, "--max-delay-ms", 1000);
  if (uri.rfind("sqlite:", 0) == 0)
    std::remove(uri.substr(7).c_str());

  caf::actor_system_config cfg;
  sb::register_types(cfg);
  cfg.set("scheduler.max-threads", size_t{2});
  caf::actor_system sys{cfg};
  auto store = std::make_shared<counting_store>();
  if (uri.rfind("sqlite:", 0) == 0)
    store->inner = std::make_shared<sb::store::sqlite_store>(uri.substr(7));
  else
    store->inner = std::make_shared<sb::store::postgres_store>(uri);
  if (auto e = store->open()) {
    std::fprintf(stderr, "cannot open %s: %s\n", uri.c_str(), e->c_str());
    return 2;
  }
  auto probe = std::make_shared<sb::batcher_probe>();
  sb::batcher_settings bs;
  bs.max_entries = static_cast<uint32_t>(max_entries);
  bs.max_delay = std::chrono::milliseconds{delay_ms};
  auto writer = sb::spawn_store_writer(sys, store, true);
  auto batcher = sb::spawn_transcript_batcher(sys, writer, bs, probe);

  auto id_of = [](long c) { return "CAbench" + std::to_string(c); };
  const std::string text = "You said: caller utterance 1. That is noted. What else can I do "
                           "for you?";
  auto t0 = clk::now();
  for (long c = 0; c < calls; ++c) {
    sb::call_record r;
    r.call_id = id_of(c);
    r.started_at = 1;
    caf::anon_send(batcher, r);
  }
  for (long i = 0; i < entries; ++i) {
    long c = i % calls;
    caf::anon_send(batcher, sb::transcript_entry{id_of(c), static_cast<uint32_t>(i / calls + 1),
                                                 i % 2 ? "agent" : "caller", text, i, i + 1,
                                                 false, 100});
  }
  for (long c = 0; c < calls; ++c) {
    sb::call_record r;
    r.call_id = id_of(c);
    r.started_at = 1;
    r.ended_at = 2;
    r.status = "ended";
    r.end_reason = "caller_stop";
    caf::anon_send(batcher, r);
  }
  bool flushed = false;
  {
    caf::scoped_actor self{sys};
    self->request(batcher, std::chrono::minutes{30}, sb::flush_atom_v)
      .receive([&] { flushed = true; }, [](caf::error&) {});
  }
  auto secs = std::chrono::duration<double>(clk::now() - t0).count();
  caf::anon_send_exit(batcher, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);

  std::string err;
  size_t stored = 0;
  for (long c = 0; c < calls; ++c)
    stored += store->transcript(id_of(c), err).size();
  const auto writes = store->writes.load();
  const double per_entry = static_cast<double>(writes) / static_cast<double>(entries);
  const double rate = static_cast<double>(entries) / secs;
  const double write_ms = writes ? store->write_us.load() / 1000.0 / static_cast<double>(writes) : 0;
  std::printf("{\"store\":\"%s\",\"entries\":%ld,\"calls\":%ld,\"max_entries\":%ld,"
              "\"seconds\":%.3f,\"entries_per_s\":%.0f,\"transactions\":%llu,"
              "\"transactions_per_entry\":%.4f,\"ms_per_transaction\":%.3f,\"stored\":%zu}\n",
              store->describe().c_str(), entries, calls, max_entries, secs, rate,
              static_cast<unsigned long long>(writes), per_entry, write_ms, stored);
  std::fprintf(stderr, "%s, batches of %ld: %ld entries in %.2f s = %.0f/s, %llu transactions "
                       "(%.4f per entry, %.3f ms each), %zu stored\n",
               store->describe().c_str(), max_entries, entries, secs, rate,
               static_cast<unsigned long long>(writes), per_entry, write_ms, stored);
  return flushed && stored == static_cast<size_t>(entries) ? 0 : 1;
}
