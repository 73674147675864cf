// The SQLite transcript store (store.transcripts = sqlite:PATH): WAL journal, schema
// created and migrated at open (versioned in schema_version), one transaction per batch.
// Blocking: owned by the store writer actor (a detached actor), never the scheduler.
#pragma once

#include <string>

#include "messages/transcript.hpp"

struct sqlite3;

namespace sb::store {

class sqlite_store : public transcript_store {
public:
  explicit sqlite_store(std::string path);
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  std::optional<std::string> open() override;
  std::optional<std::string> write(const store_batch& batch) override;
  std::optional<call_record> call(const std::string& call_id, std::string& error) override;
  std::vector<transcript_entry> transcript(const std::string& call_id,
                                           std::string& error) override;
  std::vector<call_record> calls(const call_query& q, std::string& error) override;
  int schema_version() override;
  std::string describe() const override { return "sqlite:" + path_; }

  // The schema version this build writes (the migrations it knows).
  static int current_version();

private:
  std::optional<std::string> exec(const char* sql);
  std::optional<std::string> migrate();
  std::string error_text(const char* what) const;
  std::string path_;
  sqlite3* db_ = nullptr;
};

} // namespace sb::store
