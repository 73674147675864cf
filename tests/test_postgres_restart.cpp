// The PostgreSQL store when its server goes away mid-run and comes back (a restart, a
// fail-over): the store makes a new connection on its next call, and the transcript
// batcher's retries, driving the real store through its detached writer, write every
// entry once and in order. The server is stopped by pid with a fast shutdown, which cuts
// the store's open connection.
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/transcript_batcher.hpp"
#include "messages/register.hpp"
#include "net/store/postgres_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using sb::test::pg_query;

namespace {

struct server : sb::test::postgres_server {
  server() : postgres_server(sb::test::temp_dir("sb-pg")) {}
};

sb::call_record call(const std::string& id, const std::string& status) {
  sb::call_record c;
  c.call_id = id;
  c.dialect = "twilio";
  c.agent = "sales";
  c.node = "node-1";
  c.started_at = 1000;
  c.status = status;
  if (status == "ended")
    c.end_reason = "caller_stop";
  return c;
}

sb::transcript_entry said(const std::string& id, uint32_t turn, const std::string& text) {
  return {id, turn, "caller", text, 1, 2, false, -1};
}

caf::actor_system_config& with_types(caf::actor_system_config& cfg) {
  sb::register_types(cfg);
  return cfg;
}

} // namespace

TEST_CASE("postgres: after the server restarts, the next read and write reconnect") {
  server pg;
  sb::store::postgres_store s(pg.uri());
  REQUIRE_FALSE(s.open());
  sb::store_batch b;
  b.calls = {call("CA1", "active")};
  b.entries = {said("CA1", 1, "before")};
  REQUIRE_FALSE(s.write(b));
  pg.stop();
  std::string err;
  CHECK_FALSE(s.call("CA1", err));
  CHECK(err.find("cannot connect") != std::string::npos);
  CHECK(s.write(b).has_value());
  pg.restart();
  // Neither call fails once: the lost connection is noticed and made again within it.
  err.clear();
  auto c = s.call("CA1", err);
  CHECK(err.empty());
  REQUIRE(c);
  b.entries = {said("CA1", 1, "after")};
  CHECK_FALSE(s.write(b));
  pg.stop();
  pg.restart();  // and again, with the connection idle: the write is the first to see it
  b.entries = {said("CA1", 1, "again")};
  CHECK_FALSE(s.write(b));
  auto rows = pg_query(pg.uri(), "SELECT text FROM transcript_entries ORDER BY id");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["text"] == "before");
  CHECK(rows[1]["text"] == "after");
  CHECK(rows[2]["text"] == "again");
}

TEST_CASE("postgres: the store stopped mid-run and started again loses no entry") {
  server pg;
  auto store = std::make_shared<sb::store::postgres_store>(pg.uri());
  REQUIRE_FALSE(store->open());
  caf::actor_system_config cfg;
  caf::actor_system sys{with_types(cfg)};
  auto probe = std::make_shared<sb::batcher_probe>();
  sb::batcher_settings bs;
  bs.max_entries = 20;
  bs.max_delay = 20ms;
  bs.retry_min = 20ms;
  bs.retry_max = 200ms;
  auto writer = sb::spawn_store_writer(sys, store, true);
  auto batcher = sb::spawn_transcript_batcher(sys, writer, bs, probe);

  constexpr int calls = 5, per_phase = 150;
  std::map<std::string, std::vector<std::string>> sent;  // per call, in order
  auto feed = [&](const std::string& phase) {
    for (int i = 0; i < per_phase; ++i) {
      auto id = "CA" + std::to_string(i % calls);
      auto text = phase + " " + std::to_string(i);
      sent[id].push_back(text);
      caf::anon_send(batcher, said(id, static_cast<uint32_t>(i / calls + 1), text));
    }
  };
  for (int c = 0; c < calls; ++c)
    caf::anon_send(batcher, call("CA" + std::to_string(c), "active"));
  feed("up");
  REQUIRE(sb::test::wait_until([&] { return probe->entries_written == per_phase; }, 60s));

  pg.stop();  // mid-run: the writer's connection is cut
  feed("down");
  // Writes fail while it is down, and are kept (twice: the retry fails too).
  REQUIRE(sb::test::wait_until([&] { return probe->write_failures >= 2; }, 60s));
  CHECK(probe->entries_written == per_phase);
  CHECK(probe->buffered == per_phase);
  CHECK(probe->last_error().find("cannot connect") != std::string::npos);
  CHECK(probe->last_error().find(pg.password) == std::string::npos);

  pg.restart();
  feed("back");
  for (int c = 0; c < calls; ++c)
    caf::anon_send(batcher, call("CA" + std::to_string(c), "ended"));
  bool flushed = false;
  {
    caf::scoped_actor self{sys};
    self->request(batcher, caf::duration{60s}, sb::flush_atom_v)
      .receive([&] { flushed = true; }, [&](caf::error&) {});
  }
  REQUIRE(flushed);
  CHECK(probe->entries_written == 3 * per_phase);
  CHECK(probe->dropped == 0);
  CHECK(probe->buffered == 0);
  CHECK(probe->failing_since_ms == 0);
  caf::anon_send_exit(batcher, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);

  // Every entry once, each call's in the order sent; every call ended.
  auto total = pg_query(pg.uri(), "SELECT count(*) AS n FROM transcript_entries");
  CHECK(total[0]["n"] == std::to_string(3 * per_phase));
  for (auto& [id, texts] : sent) {
    auto rows = pg_query(pg.uri(), "SELECT text FROM transcript_entries WHERE call_id = '" +
                                       id + "' ORDER BY id");
    std::vector<std::string> stored;
    for (auto& r : rows)
      stored.push_back(r["text"]);
    CHECK(stored == texts);
  }
  auto ended = pg_query(pg.uri(), "SELECT count(*) AS n FROM calls WHERE status = 'ended'");
  CHECK(ended[0]["n"] == std::to_string(calls));
}
