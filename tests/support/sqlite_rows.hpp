// A transcript store read with SQLite's own API, the way an operator would: the rows of
// a query, and the checks the drain tests share.
#pragma once

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <map>
#include <string>
#include <vector>

namespace sb::test {

struct sql_row {
  std::map<std::string, std::string> col;
  const std::string& operator[](const std::string& k) const { return col.at(k); }
};

inline std::vector<sql_row> query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  std::vector<sql_row> out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    sql_row r;
    for (int i = 0; i < sqlite3_column_count(s); ++i) {
      auto* t = sqlite3_column_text(s, i);
      r.col[sqlite3_column_name(s, i)] = t ? reinterpret_cast<const char*>(t) : "";
    }
    out.push_back(std::move(r));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// Each of the `n` calls' last agent words are `goodbye`, heard whole (not interrupted).
inline void check_goodbye_last(const std::string& db, size_t n, const std::string& goodbye) {
  auto last = query(db, "SELECT e.call_id, e.text, e.interrupted FROM transcript_entries e "
                        "WHERE e.id = (SELECT max(id) FROM transcript_entries WHERE "
                        "call_id = e.call_id AND speaker = 'agent')");
  CHECK(last.size() == n);
  for (auto& l : last) {
    INFO("call " << l["call_id"]);
    CHECK(l["text"] == goodbye);
    CHECK(l["interrupted"] == "0");
  }
}

} // namespace sb::test
