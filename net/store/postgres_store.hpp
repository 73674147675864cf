// The PostgreSQL transcript store (store.transcripts = postgresql://... or postgres://...,
// through libpq): the same schema as the SQLite store, created and migrated at open
// (versioned in schema_version, under an advisory lock so nodes starting together migrate
// once), one transaction per batch. A lost connection is made again on the next call, so
// the batcher's retries pick up a server that restarted. The password (in the URI, or
// libpq's PGPASSWORD / ~/.pgpass) never appears in describe() or in an error.
// Blocking: owned by the store writer actor (a detached actor), never the scheduler.
#pragma once

#include <string>
#include <vector>

#include "messages/transcript.hpp"

struct pg_conn;
struct pg_result;

namespace sb::store {

class postgres_store : public transcript_store {
public:
  // `uri` as libpq takes it; connect_timeout is 5 s unless the URI sets it.
  explicit postgres_store(std::string uri);
  ~postgres_store() override;
  postgres_store(const postgres_store&) = delete;
  postgres_store& operator=(const postgres_store&) = delete;

  std::optional<std::string> open() override;
  std::optional<std::string> write(const store_batch& batch) override;
  std::optional<call_record> call(const std::string& call_id, std::string& error) override;
  std::vector<transcript_entry> transcript(const std::string& call_id,
                                           std::string& error) override;
  std::vector<call_record> calls(const call_query& q, std::string& error) override;
  int schema_version() override;
  std::string describe() const override { return shown_; }  // the URI without password

  // The schema version this build writes (the migrations it knows).
  static int current_version();

private:
  class result;  // a PGresult, cleared on scope exit
  bool connected(std::string& error);
  // Runs one statement with its parameters as text; on failure sets `error` ("" on
  // success) naming `what`.
  result run(const std::string& sql, const std::vector<std::string>& params,
             const char* what, std::string& error);
  // The same for a read: connects first, and once more if the connection was lost.
  result query(const std::string& sql, const std::vector<std::string>& params,
               const char* what, std::string& error);
  bool connection_lost() const;
  void rollback();
  std::optional<std::string> migrate();
  std::optional<std::string> write_once(const store_batch& batch, bool& may_retry);
  std::string error_text(const std::string& what, std::string detail) const;
  std::string uri_;
  std::string shown_;
  std::vector<std::string> secrets_;  // password texts to keep out of messages
  pg_conn* conn_ = nullptr;
};

} // namespace sb::store
