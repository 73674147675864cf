#include "net/store/sqlite_store.hpp"

#include <sqlite3.h>

#include <utility>

namespace sb::store {

namespace {

// Each migration brings the schema from version i to i + 1; never edited once released.
const char* const migrations[] = {
  // 1: calls and their transcripts, with the indexes operators' questions need: a call by
  // id (primary key), calls by status and time, by agent and time; a call's entries in
  // order.
  "CREATE TABLE calls ("
  "  call_id TEXT PRIMARY KEY, dialect TEXT NOT NULL, stream_sid TEXT NOT NULL,"
  "  from_number TEXT NOT NULL, to_number TEXT NOT NULL, agent TEXT NOT NULL,"
  "  node TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER NOT NULL,"
  "  status TEXT NOT NULL, end_reason TEXT NOT NULL, turns INTEGER NOT NULL,"
  "  latency_p50_ms INTEGER NOT NULL, latency_max_ms INTEGER NOT NULL);"
  "CREATE INDEX calls_by_status ON calls (status, started_at);"
  "CREATE INDEX calls_by_agent ON calls (agent, started_at);"
  "CREATE INDEX calls_by_start ON calls (started_at);"
  "CREATE TABLE transcript_entries ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT, call_id TEXT NOT NULL, turn INTEGER NOT NULL,"
  "  speaker TEXT NOT NULL, text TEXT NOT NULL, started_at INTEGER NOT NULL,"
  "  ended_at INTEGER NOT NULL, interrupted INTEGER NOT NULL, latency_ms INTEGER NOT NULL);"
  "CREATE INDEX entries_by_call ON transcript_entries (call_id, id);",
};

// A prepared statement, finalized on scope exit.
class stmt {
public:
  stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~stmt() { sqlite3_finalize(s_); }
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;
  bool ok() const { return s_ != nullptr; }
  sqlite3_stmt* get() const { return s_; }
  void text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void i64(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  std::string col_text(int i) const {
    auto* p = sqlite3_column_text(s_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(s_, i)))
             : std::string{};
  }
  int64_t col_i64(int i) const { return sqlite3_column_int64(s_, i); }
  int step() { return sqlite3_step(s_); }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

private:
  sqlite3_stmt* s_ = nullptr;
};

constexpr const char* call_columns =
  "call_id, dialect, stream_sid, from_number, to_number, agent, node, started_at, "
  "ended_at, status, end_reason, turns, latency_p50_ms, latency_max_ms";

call_record read_call(const stmt& s) {
  call_record c;
  c.call_id = s.col_text(0);
  c.dialect = s.col_text(1);
  c.stream_sid = s.col_text(2);
  c.from = s.col_text(3);
  c.to = s.col_text(4);
  c.agent = s.col_text(5);
  c.node = s.col_text(6);
  c.started_at = s.col_i64(7);
  c.ended_at = s.col_i64(8);
  c.status = s.col_text(9);
  c.end_reason = s.col_text(10);
  c.turns = static_cast<uint32_t>(s.col_i64(11));
  c.latency_p50_ms = s.col_i64(12);
  c.latency_max_ms = s.col_i64(13);
  return c;
}

} // namespace

sqlite_store::sqlite_store(std::string path) : path_(std::move(path)) {}

sqlite_store::~sqlite_store() {
  if (db_)
    sqlite3_close(db_);
}

int sqlite_store::current_version() {
  return static_cast<int>(sizeof migrations / sizeof migrations[0]);
}

std::string sqlite_store::error_text(const char* what) const {
  return describe() + ": " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "cannot open");
}

std::optional<std::string> sqlite_store::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK)
    return std::nullopt;
  std::string e = describe() + ": " + (msg ? msg : "error");
  sqlite3_free(msg);
  return e;
}

std::optional<std::string> sqlite_store::open() {
  if (db_)
    return std::nullopt;
  if (sqlite3_open_v2(path_.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    auto e = error_text("cannot open");
    sqlite3_close(db_);
    db_ = nullptr;
    return e;
  }
  // Writers wait for a lock instead of failing at once (another process reading, say).
  sqlite3_busy_timeout(db_, 5000);
  if (auto e = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"))
    return e;
  return migrate();
}

int sqlite_store::schema_version() {
  stmt s(db_, "SELECT version FROM schema_version");
  return s.ok() && s.step() == SQLITE_ROW ? static_cast<int>(s.col_i64(0)) : 0;
}

std::optional<std::string> sqlite_store::migrate() {
  if (auto e = exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
                    "INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS "
                    "(SELECT 1 FROM schema_version);"))
    return e;
  const int have = schema_version();
  if (have > current_version())
    return describe() + ": schema version " + std::to_string(have) +
           " is newer than this build's " + std::to_string(current_version());
  for (int v = have; v < current_version(); ++v) {
    if (auto e = exec("BEGIN IMMEDIATE"))
      return e;
    auto e = exec(migrations[v]);
    if (!e) {
      std::string bump = "UPDATE schema_version SET version = " + std::to_string(v + 1);
      e = exec(bump.c_str());
    }
    if (e) {
      exec("ROLLBACK");
      return *e + " (migrating to schema version " + std::to_string(v + 1) + ")";
    }
    if (auto c = exec("COMMIT"))
      return c;
  }
  return std::nullopt;
}

std::optional<std::string> sqlite_store::write(const store_batch& batch) {
  if (!db_)
    return describe() + ": not open";
  if (auto e = exec("BEGIN IMMEDIATE"))
    return e;
  std::optional<std::string> err;
  {
    // A call is written when it starts and again when it ends: the later record wins.
    stmt up(db_,
            "INSERT INTO calls (call_id, dialect, stream_sid, from_number, to_number, agent,"
            " node, started_at, ended_at, status, end_reason, turns, latency_p50_ms,"
            " latency_max_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"
            " ON CONFLICT (call_id) DO UPDATE SET dialect=?2, stream_sid=?3,"
            " from_number=?4, to_number=?5, agent=?6, node=?7, started_at=?8, ended_at=?9,"
            " status=?10, end_reason=?11, turns=?12, latency_p50_ms=?13, latency_max_ms=?14");
    stmt add(db_,
             "INSERT INTO transcript_entries (call_id, turn, speaker, text, started_at,"
             " ended_at, interrupted, latency_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)");
    if (!up.ok() || !add.ok())
      err = error_text("prepare");
    for (size_t i = 0; !err && i < batch.calls.size(); ++i) {
      auto& c = batch.calls[i];
      up.text(1, c.call_id);
      up.text(2, c.dialect);
      up.text(3, c.stream_sid);
      up.text(4, c.from);
      up.text(5, c.to);
      up.text(6, c.agent);
      up.text(7, c.node);
      up.i64(8, c.started_at);
      up.i64(9, c.ended_at);
      up.text(10, c.status);
      up.text(11, c.end_reason);
      up.i64(12, c.turns);
      up.i64(13, c.latency_p50_ms);
      up.i64(14, c.latency_max_ms);
      if (up.step() != SQLITE_DONE)
        err = error_text("write call");
      up.reset();
    }
    for (size_t i = 0; !err && i < batch.entries.size(); ++i) {
      auto& t = batch.entries[i];
      add.text(1, t.call_id);
      add.i64(2, t.turn);
      add.text(3, t.speaker);
      add.text(4, t.text);
      add.i64(5, t.started_at);
      add.i64(6, t.ended_at);
      add.i64(7, t.interrupted ? 1 : 0);
      add.i64(8, t.latency_ms);
      if (add.step() != SQLITE_DONE)
        err = error_text("write transcript entry");
      add.reset();
    }
  }
  if (err) {
    exec("ROLLBACK");
    return err;
  }
  return exec("COMMIT");
}

std::optional<call_record> sqlite_store::call(const std::string& call_id, std::string& error) {
  std::string sql = std::string("SELECT ") + call_columns + " FROM calls WHERE call_id = ?1";
  stmt s(db_, sql.c_str());
  if (!s.ok()) {
    error = error_text("read call");
    return std::nullopt;
  }
  s.text(1, call_id);
  int rc = s.step();
  if (rc == SQLITE_ROW)
    return read_call(s);
  if (rc != SQLITE_DONE)
    error = error_text("read call");
  return std::nullopt;
}

std::vector<transcript_entry> sqlite_store::transcript(const std::string& call_id,
                                                       std::string& error) {
  std::vector<transcript_entry> out;
  stmt s(db_,
         "SELECT turn, speaker, text, started_at, ended_at, interrupted, latency_ms FROM "
         "transcript_entries WHERE call_id = ?1 ORDER BY id");
  if (!s.ok()) {
    error = error_text("read transcript");
    return out;
  }
  s.text(1, call_id);
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    transcript_entry t;
    t.call_id = call_id;
    t.turn = static_cast<uint32_t>(s.col_i64(0));
    t.speaker = s.col_text(1);
    t.text = s.col_text(2);
    t.started_at = s.col_i64(3);
    t.ended_at = s.col_i64(4);
    t.interrupted = s.col_i64(5) != 0;
    t.latency_ms = s.col_i64(6);
    out.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE)
    error = error_text("read transcript");
  return out;
}

std::vector<call_record> sqlite_store::calls(const call_query& q, std::string& error) {
  std::vector<call_record> out;
  // Only the filters asked for go into the query, so SQLite can use the index on
  // (status, started_at) or (agent, started_at) ("? = '' OR col = ?" would keep it from
  // doing so).
  std::string sql = std::string("SELECT ") + call_columns + " FROM calls WHERE started_at >= ?1";
  if (!q.status.empty())
    sql += " AND status = ?2";
  if (!q.agent.empty())
    sql += " AND agent = ?3";
  sql += " ORDER BY started_at DESC LIMIT ?4";
  stmt s(db_, sql.c_str());
  if (!s.ok()) {
    error = error_text("list calls");
    return out;
  }
  s.i64(1, q.since);
  if (!q.status.empty())
    s.text(2, q.status);
  if (!q.agent.empty())
    s.text(3, q.agent);
  s.i64(4, q.limit);
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.push_back(read_call(s));
  if (rc != SQLITE_DONE)
    error = error_text("list calls");
  return out;
}

} // namespace sb::store
