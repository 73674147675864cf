#include "net/store/postgres_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <unordered_map>
#include <utility>

#include "net/store/uri_password.hpp"
#include "net/store/utf8_text.hpp"

namespace sb::store {

namespace {

// Each migration: the statements that bring the schema from version i to i + 1; never
// edited once released. Version 1 is the SQLite store's version 1 in PostgreSQL's types:
// calls and their transcripts, with the indexes operators' questions need (a call by id,
// calls by status and time, by agent and time; a call's entries in order).
const std::vector<std::vector<const char*>> migrations = {
  {
    "CREATE TABLE calls ("
    "  call_id TEXT PRIMARY KEY, dialect TEXT NOT NULL, stream_sid TEXT NOT NULL,"
    "  from_number TEXT NOT NULL, to_number TEXT NOT NULL, agent TEXT NOT NULL,"
    "  node TEXT NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT NOT NULL,"
    "  status TEXT NOT NULL, end_reason TEXT NOT NULL, turns BIGINT NOT NULL,"
    "  latency_p50_ms BIGINT NOT NULL, latency_max_ms BIGINT NOT NULL)",
    "CREATE INDEX calls_by_status ON calls (status, started_at)",
    "CREATE INDEX calls_by_agent ON calls (agent, started_at)",
    "CREATE INDEX calls_by_start ON calls (started_at)",
    "CREATE TABLE transcript_entries ("
    "  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, call_id TEXT NOT NULL,"
    "  turn BIGINT NOT NULL, speaker TEXT NOT NULL, text TEXT NOT NULL,"
    "  started_at BIGINT NOT NULL, ended_at BIGINT NOT NULL, interrupted BOOLEAN NOT NULL,"
    "  latency_ms BIGINT NOT NULL)",
    "CREATE INDEX entries_by_call ON transcript_entries (call_id, id)",
  },
};

// Nodes that start together take this transaction lock to migrate one after another.
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(7362000001)";

constexpr const char* call_columns =
  "call_id, dialect, stream_sid, from_number, to_number, agent, node, started_at, "
  "ended_at, status, end_reason, turns, latency_p50_ms, latency_max_ms";
const std::vector<const char*> call_types = {"text",   "text", "text",   "text", "text",
                                             "text",   "text", "bigint", "bigint", "text",
                                             "text",   "bigint", "bigint", "bigint"};
// A call is written when it starts and again when it ends: the later record wins whole.
constexpr const char* call_upsert =
  " ON CONFLICT (call_id) DO UPDATE SET dialect = EXCLUDED.dialect,"
  " stream_sid = EXCLUDED.stream_sid, from_number = EXCLUDED.from_number,"
  " to_number = EXCLUDED.to_number, agent = EXCLUDED.agent, node = EXCLUDED.node,"
  " started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at,"
  " status = EXCLUDED.status, end_reason = EXCLUDED.end_reason, turns = EXCLUDED.turns,"
  " latency_p50_ms = EXCLUDED.latency_p50_ms, latency_max_ms = EXCLUDED.latency_max_ms";
constexpr const char* entry_columns =
  "call_id, turn, speaker, text, started_at, ended_at, interrupted, latency_ms";
const std::vector<const char*> entry_types = {"text",   "bigint", "text",    "text",
                                              "bigint", "bigint", "boolean", "bigint"};

// Rows per INSERT: one round trip each (a statement takes at most 65535 parameters).
constexpr size_t rows_per_insert = 1000;

// "($1::text,$2::bigint),($3::text,$4::bigint)" for `rows` rows of these types.
std::string placeholders(size_t rows, const std::vector<const char*>& types) {
  std::string out;
  size_t n = 0;
  for (size_t r = 0; r < rows; ++r) {
    out += r ? ",(" : "(";
    for (size_t c = 0; c < types.size(); ++c)
      out += (c ? ",$" : "$") + std::to_string(++n) + "::" + types[c];
    out += ")";
  }
  return out;
}

void add_call(std::vector<std::string>& p, const call_record& c) {
  for (auto* v : {&c.call_id, &c.dialect, &c.stream_sid, &c.from, &c.to, &c.agent, &c.node})
    p.push_back(utf8_text(*v));
  p.push_back(std::to_string(c.started_at));
  p.push_back(std::to_string(c.ended_at));
  p.push_back(utf8_text(c.status));
  p.push_back(utf8_text(c.end_reason));
  p.push_back(std::to_string(c.turns));
  p.push_back(std::to_string(c.latency_p50_ms));
  p.push_back(std::to_string(c.latency_max_ms));
}

void add_entry(std::vector<std::string>& p, const transcript_entry& t) {
  p.push_back(utf8_text(t.call_id));
  p.push_back(std::to_string(t.turn));
  p.push_back(utf8_text(t.speaker));
  p.push_back(utf8_text(t.text));
  p.push_back(std::to_string(t.started_at));
  p.push_back(std::to_string(t.ended_at));
  p.push_back(t.interrupted ? "true" : "false");
  p.push_back(std::to_string(t.latency_ms));
}

// libpq's messages end in a newline and continue on indented lines: one line here.
std::string one_line(std::string s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

} // namespace

class postgres_store::result {
public:
  explicit result(PGresult* r = nullptr) : r_(r) {}
  ~result() { PQclear(r_); }
  result(result&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  result& operator=(result&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  PGresult* get() const { return r_; }
  int rows() const { return r_ ? PQntuples(r_) : 0; }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col),
                       static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  int64_t i64(int row, int col) const {
    return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
  }
  bool boolean(int row, int col) const { return PQgetvalue(r_, row, col)[0] == 't'; }

  call_record call(int row) const {
    call_record c;
    c.call_id = text(row, 0);
    c.dialect = text(row, 1);
    c.stream_sid = text(row, 2);
    c.from = text(row, 3);
    c.to = text(row, 4);
    c.agent = text(row, 5);
    c.node = text(row, 6);
    c.started_at = i64(row, 7);
    c.ended_at = i64(row, 8);
    c.status = text(row, 9);
    c.end_reason = text(row, 10);
    c.turns = static_cast<uint32_t>(i64(row, 11));
    c.latency_p50_ms = i64(row, 12);
    c.latency_max_ms = i64(row, 13);
    return c;
  }

private:
  PGresult* r_;
};

postgres_store::postgres_store(std::string uri)
  : uri_(std::move(uri)), shown_(without_password(uri_)), secrets_(password_texts(uri_)) {
  std::sort(secrets_.begin(), secrets_.end(),
            [](auto& a, auto& b) { return a.size() > b.size(); });
}

postgres_store::~postgres_store() {
  if (conn_)
    PQfinish(conn_);
}

int postgres_store::current_version() {
  return static_cast<int>(migrations.size());
}

std::string postgres_store::error_text(const std::string& what, std::string detail) const {
  // libpq names hosts and ports, not passwords; a URI it cannot parse may be quoted,
  // though, so every form of the password is taken out (the longest first).
  for (auto& s : secrets_)
    for (auto at = detail.find(s); at != std::string::npos; at = detail.find(s, at))
      detail.replace(at, s.size(), "<hidden>");
  return shown_ + ": " + what + ": " + one_line(std::move(detail));
}

bool postgres_store::connection_lost() const {
  return !conn_ || PQstatus(conn_) == CONNECTION_BAD;
}

bool postgres_store::connected(std::string& error) {
  if (!conn_) {
    // Later keys win, so the URI's own settings override these defaults.
    const char* keys[] = {"connect_timeout", "client_encoding", "fallback_application_name",
                          "dbname", nullptr};
    const char* values[] = {"5", "UTF8", "switchboard", uri_.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (conn_)  // notices ("relation exists, skipping") are not errors: not on stderr
      PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  } else if (PQstatus(conn_) == CONNECTION_BAD) {
    PQreset(conn_);  // the same parameters again: a restarted server is picked up
  }
  if (conn_ && PQstatus(conn_) == CONNECTION_OK)
    return true;
  error = error_text("cannot connect", conn_ ? PQerrorMessage(conn_) : "out of memory");
  return false;
}

postgres_store::result postgres_store::run(const std::string& sql,
                                           const std::vector<std::string>& params,
                                           const char* what, std::string& error) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (auto& p : params)
    values.push_back(p.c_str());
  result r(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                        values.data(), nullptr, nullptr, 0));
  auto st = PQresultStatus(r.get());
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
    error.clear();
  else
    error = error_text(what, r.get() ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_));
  return r;
}

postgres_store::result postgres_store::query(const std::string& sql,
                                             const std::vector<std::string>& params,
                                             const char* what, std::string& error) {
  for (int attempt = 0;; ++attempt) {
    if (!connected(error))
      return result{};
    auto r = run(sql, params, what, error);
    // A read is safe to send again: the server may have restarted since the last call.
    if (error.empty() || attempt == 1 || !connection_lost())
      return r;
  }
}

void postgres_store::rollback() {
  std::string ignored;
  if (!connection_lost())
    run("ROLLBACK", {}, "rollback", ignored);
}

std::optional<std::string> postgres_store::open() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK)
    return std::nullopt;
  char* msg = nullptr;
  PQconninfoOption* opts = PQconninfoParse(uri_.c_str(), &msg);
  if (!opts) {
    auto e = error_text("not a connection URI libpq takes", msg ? msg : "out of memory");
    PQfreemem(msg);
    return e;
  }
  PQconninfoFree(opts);
  std::string e;
  if (!connected(e))
    return e;
  return migrate();
}

int postgres_store::schema_version() {
  std::string e;
  auto r = query("SELECT version FROM schema_version", {}, "read the schema version", e);
  return e.empty() && r.rows() == 1 ? static_cast<int>(r.i64(0, 0)) : 0;
}

std::optional<std::string> postgres_store::migrate() {
  std::string e;
  // One transaction, under the lock: the version read is the one migrated from. The
  // version table is looked for before it is created, so a node whose user may only
  // read and write the tables (no CREATE) opens a migrated database.
  for (const char* sql : {"BEGIN", migration_lock})
    if (run(sql, {}, "prepare the schema", e), !e.empty()) {
      rollback();
      return e;
    }
  auto found = run("SELECT to_regclass('schema_version') IS NOT NULL", {},
                   "look for the schema version", e);
  if (e.empty() && found.rows() == 1 && !found.boolean(0, 0))
    for (const char* sql : {"CREATE TABLE schema_version (version INTEGER NOT NULL)",
                            "INSERT INTO schema_version VALUES (0)"})
      if (run(sql, {}, "create the schema version", e), !e.empty())
        break;
  if (!e.empty()) {
    rollback();
    return e;
  }
  auto r = run("SELECT version FROM schema_version", {}, "read the schema version", e);
  if (!e.empty()) {
    rollback();
    return e;
  }
  const int have = r.rows() == 1 ? static_cast<int>(r.i64(0, 0)) : 0;
  if (have > current_version()) {
    rollback();
    return shown_ + ": schema version " + std::to_string(have) +
           " is newer than this build's " + std::to_string(current_version());
  }
  for (int v = have; v < current_version(); ++v)
    for (const char* sql : migrations[static_cast<size_t>(v)])
      if (run(sql, {}, "migrate", e), !e.empty()) {
        rollback();
        return e + " (migrating to schema version " + std::to_string(v + 1) + ")";
      }
  if (have < current_version())
    run("UPDATE schema_version SET version = $1", {std::to_string(current_version())},
        "record the schema version", e);
  if (e.empty())
    run("COMMIT", {}, "commit the schema", e);
  if (!e.empty()) {
    rollback();
    return e;
  }
  return std::nullopt;
}

std::optional<std::string> postgres_store::write(const store_batch& batch) {
  std::string e;
  if (!connected(e))
    return e;
  bool may_retry = false;
  auto err = write_once(batch, may_retry);
  // The connection was lost before COMMIT was sent (a server restarted while we were
  // idle): nothing was written, so once more on a new connection.
  if (err && may_retry && connection_lost()) {
    if (!connected(e))
      return e;
    err = write_once(batch, may_retry);
  }
  return err;
}

std::optional<std::string> postgres_store::write_once(const store_batch& batch,
                                                      bool& may_retry) {
  may_retry = true;
  std::string e;
  if (run("BEGIN", {}, "begin", e), !e.empty())
    return e;
  // One row per call: the latest record of each (as writing them in order would leave).
  std::vector<const call_record*> calls;
  std::unordered_map<std::string, size_t> index;
  for (auto& c : batch.calls) {
    auto [i, fresh] = index.emplace(c.call_id, calls.size());
    if (fresh)
      calls.push_back(&c);
    else
      calls[i->second] = &c;
  }
  std::vector<std::string> p;
  for (size_t from = 0; from < calls.size(); from += rows_per_insert) {
    const size_t n = std::min(rows_per_insert, calls.size() - from);
    p.clear();
    for (size_t i = from; i < from + n; ++i)
      add_call(p, *calls[i]);
    run(std::string("INSERT INTO calls (") + call_columns + ") VALUES " +
          placeholders(n, call_types) + call_upsert,
        p, "write calls", e);
    if (!e.empty()) {
      rollback();
      return e;
    }
  }
  // The entries in order: their ids (the order they are read back in) follow the rows.
  for (size_t from = 0; from < batch.entries.size(); from += rows_per_insert) {
    const size_t n = std::min(rows_per_insert, batch.entries.size() - from);
    p.clear();
    for (size_t i = from; i < from + n; ++i)
      add_entry(p, batch.entries[i]);
    run(std::string("INSERT INTO transcript_entries (") + entry_columns + ") VALUES " +
          placeholders(n, entry_types),
        p, "write transcript entries", e);
    if (!e.empty()) {
      rollback();
      return e;
    }
  }
  may_retry = false;  // a COMMIT whose answer was lost may have committed
  if (run("COMMIT", {}, "commit", e), !e.empty())
    return e;
  return std::nullopt;
}

std::optional<call_record> postgres_store::call(const std::string& call_id,
                                                std::string& error) {
  auto r = query(std::string("SELECT ") + call_columns + " FROM calls WHERE call_id = $1",
                 {utf8_text(call_id)}, "read call", error);
  if (!error.empty() || r.rows() == 0)
    return std::nullopt;
  return r.call(0);
}

std::vector<transcript_entry> postgres_store::transcript(const std::string& call_id,
                                                         std::string& error) {
  std::vector<transcript_entry> out;
  auto r = query("SELECT turn, speaker, text, started_at, ended_at, interrupted, latency_ms"
                 " FROM transcript_entries WHERE call_id = $1 ORDER BY id",
                 {utf8_text(call_id)}, "read transcript", error);
  for (int i = 0; error.empty() && i < r.rows(); ++i) {
    transcript_entry t;
    t.call_id = call_id;
    t.turn = static_cast<uint32_t>(r.i64(i, 0));
    t.speaker = r.text(i, 1);
    t.text = r.text(i, 2);
    t.started_at = r.i64(i, 3);
    t.ended_at = r.i64(i, 4);
    t.interrupted = r.boolean(i, 5);
    t.latency_ms = r.i64(i, 6);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<call_record> postgres_store::calls(const call_query& q, std::string& error) {
  // Only the filters asked for go into the query, so the planner can use the index on
  // (status, started_at) or (agent, started_at).
  std::vector<std::string> p{std::to_string(q.since)};
  std::string sql = std::string("SELECT ") + call_columns +
                    " FROM calls WHERE started_at >= $1::bigint";
  if (!q.status.empty()) {
    p.push_back(utf8_text(q.status));
    sql += " AND status = $" + std::to_string(p.size());
  }
  if (!q.agent.empty()) {
    p.push_back(utf8_text(q.agent));
    sql += " AND agent = $" + std::to_string(p.size());
  }
  p.push_back(std::to_string(q.limit));
  sql += " ORDER BY started_at DESC LIMIT $" + std::to_string(p.size()) + "::bigint";
  auto r = query(sql, p, "list calls", error);
  std::vector<call_record> out;
  for (int i = 0; error.empty() && i < r.rows(); ++i)
    out.push_back(r.call(i));
  return out;
}

} // namespace sb::store
