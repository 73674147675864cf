// The SQLite transcript store (net/store/sqlite_store): schema created and versioned,
// batches written in one transaction, read back in order, reopened without loss.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "net/store/sqlite_store.hpp"
#include "tests/support/store_contract.hpp"

namespace fs = std::filesystem;

using sb::test::call;
using sb::test::entry;

namespace {

struct temp_db {
  fs::path dir;
  temp_db() {
    std::string tmpl = (fs::temp_directory_path() / "sb-store-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~temp_db() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string path() const { return (dir / "t.db").string(); }
};

// A value straight from the file with SQLite's own API (what an operator's query sees).
std::string query_one(const std::string& path, const char* sql, int column = 0) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, column))
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

} // namespace

TEST_CASE("the SQLite store creates its schema, versioned, in WAL mode") {
  temp_db t;
  sb::store::sqlite_store s(t.path());
  REQUIRE_FALSE(s.open());
  CHECK(s.schema_version() == sb::store::sqlite_store::current_version());
  CHECK(s.schema_version() >= 1);
  CHECK(query_one(t.path(), "PRAGMA journal_mode") == "wal");
  // The indexes operators' questions need.
  for (auto* idx : {"calls_by_status", "calls_by_agent", "calls_by_start", "entries_by_call"})
    CHECK(query_one(t.path(), (std::string("SELECT name FROM sqlite_master WHERE name = '") +
                               idx + "'")
                                .c_str()) == idx);
}

TEST_CASE("a batch across calls is written in one transaction and read back in order") {
  temp_db t;
  sb::store::sqlite_store s(t.path());
  REQUIRE_FALSE(s.open());
  sb::test::check_batch_round_trip(s);
}

TEST_CASE("calls are listed by status, time and agent, newest first, up to a limit") {
  temp_db t;
  sb::store::sqlite_store s(t.path());
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
  CHECK(s.calls({"ended", 0, "", 100}, err).size() == 2);
  CHECK(s.calls({"", 200, "", 100}, err).size() == 3);
  auto sales = s.calls({"", 0, "sales", 2}, err);
  REQUIRE(sales.size() == 2);
  CHECK(sales[0].call_id == "CA2");
  CHECK(s.calls({"ended", 0, "support", 100}, err).size() == 1);  // CA3
  CHECK(err.empty());
  // A filtered list reads through its index, not the whole table.
  auto plan = query_one(t.path(), "EXPLAIN QUERY PLAN SELECT call_id FROM calls WHERE "
                                  "started_at >= 0 AND status = 'ended' ORDER BY "
                                  "started_at DESC LIMIT 10",
                        3);  // the plan's detail: "SEARCH calls USING INDEX ..."
  CHECK(plan.find("calls_by_status") != std::string::npos);
}

TEST_CASE("reopening keeps what was written, and a newer schema is refused") {
  temp_db t;
  {
    sb::store::sqlite_store s(t.path());
    REQUIRE_FALSE(s.open());
    sb::store_batch b;
    b.calls = {call("CA1", "active", 1)};
    b.entries = {entry("CA1", 1, "caller", "kept")};
    REQUIRE_FALSE(s.write(b));
  }
  {
    sb::store::sqlite_store s(t.path());
    REQUIRE_FALSE(s.open());  // migrating again is a no-op
    std::string err;
    CHECK(s.transcript("CA1", err).size() == 1);
  }
  query_one(t.path(), "UPDATE schema_version SET version = 99");
  sb::store::sqlite_store s(t.path());
  auto e = s.open();
  REQUIRE(e);
  CHECK(e->find("schema version 99 is newer") != std::string::npos);
}

TEST_CASE("a store that cannot be opened says where and why") {
  sb::store::sqlite_store s("/nonexistent-dir/x/t.db");
  auto e = s.open();
  REQUIRE(e);
  CHECK(e->find("sqlite:/nonexistent-dir/x/t.db") != std::string::npos);
  CHECK(s.write({}).has_value());
}
