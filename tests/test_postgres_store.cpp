// The PostgreSQL transcript store (net/store/postgres_store) against a real server that
// the test starts (tests/support/postgres_server): the schema created and versioned with
// the SQLite store's indexes, batches in one transaction (all or nothing), a call's start
// and end records as one row, the list filters, a newer schema refused, text that is not
// UTF-8, a user with only the tables' privileges, the password never in describe() or an
// error (and taken from PGPASSWORD), and the connect timeout.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "net/store/postgres_store.hpp"
#include "net/store/sqlite_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/store_contract.hpp"

using sb::store::postgres_store;
using sb::test::pg_query;

using sb::test::call;
using sb::test::entry;

namespace {

struct server : sb::test::postgres_server {
  server() : postgres_server(sb::test::temp_dir("sb-pg")) {}
  std::string one(const std::string& sql) {
    auto rows = pg_query(uri(), sql);
    return rows.empty() ? std::string{} : rows[0].begin()->second;
  }
};

} // namespace

TEST_CASE("postgres: the schema is created, versioned, with the SQLite store's indexes") {
  server pg;
  postgres_store s(pg.uri());
  REQUIRE_FALSE(s.open());
  CHECK(s.schema_version() == postgres_store::current_version());
  CHECK(postgres_store::current_version() == sb::store::sqlite_store::current_version());
  for (auto* idx : {"calls_by_status", "calls_by_agent", "calls_by_start", "entries_by_call"})
    CHECK(pg.one(std::string("SELECT indexname FROM pg_indexes WHERE indexname = '") + idx +
                 "'") == idx);
  CHECK(pg.one("SELECT data_type FROM information_schema.columns WHERE table_name = "
               "'calls' AND column_name = 'started_at'") == "bigint");
  CHECK(pg.one("SELECT data_type FROM information_schema.columns WHERE table_name = "
               "'transcript_entries' AND column_name = 'interrupted'") == "boolean");
  // Opening again (a second node, a restart) migrates nothing.
  postgres_store again(pg.uri());
  REQUIRE_FALSE(again.open());
  CHECK(pg.one("SELECT count(*) FROM schema_version") == "1");
}

TEST_CASE("postgres: a batch is one transaction, read back in order, a call one row") {
  server pg;
  postgres_store s(pg.uri());
  REQUIRE_FALSE(s.open());
  sb::test::check_batch_round_trip(s);
  std::string err;
  // A call's start and end in one batch (and a record of another call between): the
  // latest record of each call, as writing them in order leaves it.
  sb::store_batch both;
  auto c3 = call("CA3", "ended", 30);
  c3.end_reason = "hangup";
  both.calls = {call("CA3", "active", 30), call("CA4", "active", 40), c3};
  REQUIRE_FALSE(s.write(both));
  CHECK(pg.one("SELECT count(*) FROM calls WHERE call_id = 'CA3'") == "1");
  CHECK(s.call("CA3", err)->end_reason == "hangup");

  // All or nothing: a batch the database refuses part of leaves no row of it.
  pg_query(pg.uri(), "ALTER TABLE transcript_entries ADD CONSTRAINT no_boom CHECK "
                     "(text <> 'boom')");
  sb::store_batch bad;
  bad.calls = {call("CA5", "active", 50)};
  bad.entries = {entry("CA5", 1, "caller", "fine"), entry("CA5", 1, "agent", "boom")};
  auto e = s.write(bad);
  REQUIRE(e);
  CHECK(e->find("no_boom") != std::string::npos);
  CHECK_FALSE(s.call("CA5", err));
  CHECK(pg.one("SELECT count(*) FROM transcript_entries WHERE call_id = 'CA5'") == "0");
  // And the connection is still good for the next batch.
  bad.entries.pop_back();
  CHECK_FALSE(s.write(bad));
  CHECK(s.transcript("CA5", err).size() == 1);
}

TEST_CASE("postgres: text that is not UTF-8, or holds NUL, is stored and does not fail the "
          "batch") {
  server pg;
  postgres_store s(pg.uri());
  REQUIRE_FALSE(s.open());
  sb::store_batch b;
  b.calls = {call("CA1", "active", 1)};
  b.entries = {entry("CA1", 1, "caller", std::string("caf\xC3\xA9 \xFF\xFE ok\0x", 13)),
               entry("CA1", 1, "agent", "\xE2\x82")};  // a cut multi-byte character
  REQUIRE_FALSE(s.write(b));
  std::string err;
  auto tr = s.transcript("CA1", err);
  REQUIRE(tr.size() == 2);
  CHECK(tr[0].text == "caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD ok\xEF\xBF\xBDx");
  CHECK(tr[1].text == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("postgres: calls are listed by status, time and agent, newest first, up to a "
          "limit") {
  server pg;
  postgres_store s(pg.uri());
  REQUIRE_FALSE(s.open());
  sb::store_batch b;
  for (int i = 0; i < 5; ++i) {
    auto c = call("CA" + std::to_string(i), i % 2 ? "ended" : "active", 100 * i);
    c.agent = i < 3 ? "sales" : "support";
    b.calls.push_back(c);
  }
  REQUIRE_FALSE(s.write(b));
  std::string err;
  auto all = s.calls({}, err);
  REQUIRE(all.size() == 5);
  CHECK(all.front().call_id == "CA4");
  CHECK(all.back().call_id == "CA0");
  CHECK(s.calls({"ended", 0, "", 100}, err).size() == 2);
  CHECK(s.calls({"", 200, "", 100}, err).size() == 3);
  auto sales = s.calls({"", 0, "sales", 2}, err);
  REQUIRE(sales.size() == 2);
  CHECK(sales[0].call_id == "CA2");
  CHECK(sales[1].call_id == "CA1");
  auto one = s.calls({"ended", 0, "support", 100}, err);
  REQUIRE(one.size() == 1);
  CHECK(one[0].call_id == "CA3");
  CHECK(s.calls({"active", 0, "nobody", 100}, err).empty());
  CHECK(err.empty());
  // The filtered list can read through its index (the planner prefers a scan of so few
  // rows, so scans are ruled out for the question).
  auto plan = pg_query(pg.uri(), "SET enable_seqscan = off; EXPLAIN SELECT call_id FROM "
                                 "calls WHERE started_at >= 0 AND status = 'ended' ORDER BY "
                                 "started_at DESC LIMIT 10");
  std::string text;
  for (auto& row : plan)
    text += row.begin()->second + "\n";
  INFO(text);
  CHECK(text.find("calls_by_status") != std::string::npos);
}

TEST_CASE("postgres: a database written by a newer build is refused, naming both versions") {
  server pg;
  {
    postgres_store s(pg.uri());
    REQUIRE_FALSE(s.open());
    sb::store_batch b;
    b.calls = {call("CA1", "active", 1)};
    b.entries = {entry("CA1", 1, "caller", "kept")};
    REQUIRE_FALSE(s.write(b));
  }
  pg_query(pg.uri(), "UPDATE schema_version SET version = 99");
  postgres_store s(pg.uri());
  auto e = s.open();
  REQUIRE(e);
  CHECK(e->find("schema version 99 is newer than this build's " +
                std::to_string(postgres_store::current_version())) != std::string::npos);
  CHECK(e->find(pg.uri(false)) == 0);  // where, named first
  // Nothing was changed by the refusal.
  CHECK(pg.one("SELECT version FROM schema_version") == "99");
  CHECK(pg.one("SELECT count(*) FROM transcript_entries") == "1");
}

TEST_CASE("postgres: the password is never in describe() or an error") {
  server pg;
  const auto& pw = pg.password;
  postgres_store s(pg.uri());
  CHECK(s.describe() == pg.uri(false));
  REQUIRE_FALSE(s.open());
  postgres_store q(pg.uri(false) + "?connect_timeout=3&password=" + pw);
  CHECK(q.describe() == pg.uri(false) + "?connect_timeout=3");
  REQUIRE_FALSE(q.open());

  // A wrong password: the reason, not the password.
  postgres_store wrong("postgresql://sb:Wr0ngPassw0rd@127.0.0.1:" + std::to_string(pg.port) +
                       "/switchboard");
  auto e = wrong.open();
  REQUIRE(e);
  CHECK(e->find("password authentication failed") != std::string::npos);
  CHECK(e->find("Wr0ngPassw0rd") == std::string::npos);
  CHECK(e->find("postgresql://sb@127.0.0.1:") == 0);
  // A URI libpq cannot read, which its message quotes.
  postgres_store garbled("postgresql://sb:Se%ZZcret9@127.0.0.1:1/x");
  e = garbled.open();
  REQUIRE(e);
  CHECK(e->find("Se%ZZcret9") == std::string::npos);
  CHECK(e->find("not a connection URI libpq takes") != std::string::npos);
  // No server there: where it tried, not the password.
  pg.stop();
  postgres_store down(pg.uri());
  e = down.open();
  REQUIRE(e);
  CHECK(e->find("cannot connect") != std::string::npos);
  CHECK(e->find(std::to_string(pg.port)) != std::string::npos);
  CHECK(e->find(pw) == std::string::npos);
  CHECK(e->find('\n') == std::string::npos);
}

TEST_CASE("postgres: without a password in the URI, libpq's PGPASSWORD gives it") {
  server pg;
  postgres_store none(pg.uri(false));
  unsetenv("PGPASSWORD");
  auto e = none.open();
  REQUIRE(e);
  CHECK(e->find("password") != std::string::npos);  // "no password supplied" or alike
  setenv("PGPASSWORD", pg.password.c_str(), 1);
  postgres_store s(pg.uri(false));
  auto ok = s.open();
  unsetenv("PGPASSWORD");
  CHECK_FALSE(ok);
  CHECK(s.schema_version() == postgres_store::current_version());
}

TEST_CASE("postgres: a user that may only read and write the tables opens a migrated "
          "database") {
  server pg;
  {
    postgres_store owner(pg.uri());
    REQUIRE_FALSE(owner.open());
  }
  pg_query(pg.uri(), "CREATE ROLE writer LOGIN PASSWORD 'Wr1terPass'; "
                     "GRANT SELECT, INSERT, UPDATE ON calls, transcript_entries TO writer; "
                     "GRANT SELECT ON schema_version TO writer");
  postgres_store s("postgresql://writer:Wr1terPass@127.0.0.1:" + std::to_string(pg.port) +
                   "/switchboard");
  REQUIRE_FALSE(s.open());
  sb::store_batch b;
  b.calls = {call("CA1", "active", 1)};
  b.entries = {entry("CA1", 1, "caller", "hello")};
  REQUIRE_FALSE(s.write(b));
  b.calls[0].status = "ended";
  REQUIRE_FALSE(s.write(b));  // the upsert's UPDATE
  std::string err;
  CHECK(s.call("CA1", err)->status == "ended");
  CHECK(s.transcript("CA1", err).size() == 2);
  CHECK(err.empty());
}

TEST_CASE("postgres: a server that never answers is given up after 5 s, or the URI's "
          "connect_timeout") {
  // A loopback port that takes connections (the kernel's backlog) and never says a word.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(fd, 16) == 0);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) == 0);
  const auto base = "postgresql://sb@127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/x";
  auto seconds_to_fail = [](const std::string& uri, std::string& error) {
    postgres_store s(uri);
    auto t0 = std::chrono::steady_clock::now();
    auto e = s.open();
    error = e.value_or("");
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::string e;
  double given = seconds_to_fail(base + "?connect_timeout=2", e);
  CHECK(e.find("timeout expired") != std::string::npos);
  CHECK(given >= 1.5);
  CHECK(given < 4.5);
  double fallback = seconds_to_fail(base, e);
  CHECK(e.find("timeout expired") != std::string::npos);
  CHECK(fallback >= 4.5);
  CHECK(fallback < 10);
  close(fd);
}
