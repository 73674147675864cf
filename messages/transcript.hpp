// What a call leaves behind: its record (who, when, how it ended) and its transcript
// entries, as the call actor reports them to the transcript batcher, and the store
// interface the batcher's writer uses (implemented in net/store/). See docs/storage.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

namespace sb {

// Times are milliseconds since the Unix epoch (wall clock: records are read by people).
struct call_record {
  std::string call_id;     // the telephony call sid
  std::string dialect;     // twilio | exotel
  std::string stream_sid;
  std::string from;
  std::string to;
  std::string agent;       // the route tag
  std::string node;
  int64_t started_at = 0;
  int64_t ended_at = 0;    // 0 while active
  std::string status = "active";  // active | ended
  std::string end_reason;
  uint32_t turns = 0;
  int64_t latency_p50_ms = -1;  // turn latency (end of caller speech -> first reply audio)
  int64_t latency_max_ms = -1;
};

struct transcript_entry {
  std::string call_id;
  uint32_t turn = 0;
  std::string speaker;     // caller | agent
  std::string text;
  int64_t started_at = 0;
  int64_t ended_at = 0;
  bool interrupted = false;  // an agent reply cut by barge-in: text is what was spoken
  int64_t latency_ms = -1;   // agent entries: the turn's latency; -1 when none
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_record& x) {
  return f(caf::meta::type_name("sb::call_record"), x.call_id, x.dialect, x.stream_sid,
           x.from, x.to, x.agent, x.node, x.started_at, x.ended_at, x.status, x.end_reason,
           x.turns, x.latency_p50_ms, x.latency_max_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transcript_entry& x) {
  return f(caf::meta::type_name("sb::transcript_entry"), x.call_id, x.turn, x.speaker,
           x.text, x.started_at, x.ended_at, x.interrupted, x.latency_ms);
}

// One write: calls to insert or update, and entries to add, in one transaction.
struct store_batch {
  std::vector<call_record> calls;
  std::vector<transcript_entry> entries;
  bool empty() const { return calls.empty() && entries.empty(); }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_batch& x) {
  return f(caf::meta::type_name("sb::store_batch"), x.calls, x.entries);
}

// What operators ask the store (GET /api/v1/calls).
struct call_query {
  std::string status;   // "" = any
  int64_t since = 0;    // started at or after (ms since the epoch); 0 = any
  std::string agent;    // "" = any
  uint32_t limit = 100;
};

// Answers of the store writer to the call records API (GET /api/v1/calls).
struct call_lookup {
  bool found = false;
  call_record call;
  std::vector<transcript_entry> transcript;
  std::string error;  // the store's, when it could not answer
};

struct call_list {
  std::vector<call_record> calls;
  std::string error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_lookup& x) {
  return f(caf::meta::type_name("sb::call_lookup"), x.found, x.call, x.transcript, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_list& x) {
  return f(caf::meta::type_name("sb::call_list"), x.calls, x.error);
}

// A transcript store (SQLite, PostgreSQL). Blocking: used only from its own detached
// actor. Errors are returned as text (no exceptions), with the store named.
class transcript_store {
public:
  virtual ~transcript_store() = default;
  // Opens or creates the store and brings its schema to the current version.
  virtual std::optional<std::string> open() = 0;
  // Writes one batch in one transaction: all of it or nothing.
  virtual std::optional<std::string> write(const store_batch& batch) = 0;
  virtual std::optional<call_record> call(const std::string& call_id, std::string& error) = 0;
  virtual std::vector<transcript_entry> transcript(const std::string& call_id,
                                                   std::string& error) = 0;
  virtual std::vector<call_record> calls(const call_query& q, std::string& error) = 0;
  virtual int schema_version() = 0;
  virtual std::string describe() const = 0;  // for logs: the kind and path, no secrets
};

// Batcher protocol atoms.
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using call_end_atom = caf::atom_constant<caf::atom("callend")>;
constexpr flush_atom flush_atom_v{};
constexpr write_atom write_atom_v{};
constexpr call_end_atom call_end_atom_v{};

} // namespace sb
