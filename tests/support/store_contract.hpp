// What every transcript store (net/store: SQLite, PostgreSQL) must do alike, checked the
// same way on each: the records and entries the tests write, and a batch round trip
// (one transaction across calls, a call's later record winning, entries in order).
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "messages/transcript.hpp"

namespace sb::test {

inline sb::call_record call(const std::string& id, const std::string& status, int64_t at) {
  sb::call_record c;
  c.call_id = id;
  c.dialect = "twilio";
  c.stream_sid = "MZ" + id;
  c.from = "+15550001";
  c.to = "+15550002";
  c.agent = "sales";
  c.node = "node-1";
  c.started_at = at;
  c.status = status;
  return c;
}

inline sb::transcript_entry entry(const std::string& id, uint32_t turn, const char* who,
                                  const std::string& text) {
  return {id, turn, who, text, 1000 + turn, 2000 + turn, false, -1};
}

// Two calls' batch, then the first call's end in another: read back whole and in order.
inline void check_batch_round_trip(sb::transcript_store& s) {
  sb::store_batch b;
  b.calls = {call("CA1", "active", 10), call("CA2", "active", 20)};
  b.entries = {entry("CA1", 1, "caller", "hello"), entry("CA2", 1, "caller", "hi there"),
               entry("CA1", 1, "agent", "Hello! How can I help?"),
               entry("CA1", 2, "caller", "where is my order")};
  b.entries[2].latency_ms = 420;
  REQUIRE_FALSE(s.write(b));
  // The call ends: its record is written again, the later one wins.
  sb::store_batch end;
  auto c1 = call("CA1", "ended", 10);
  c1.ended_at = 99;
  c1.end_reason = "caller_stop";
  c1.turns = 2;
  c1.latency_p50_ms = 420;
  c1.latency_max_ms = 430;
  end.calls = {c1};
  end.entries = {{"CA1", 2, "agent", "It ships tomorrow", 3000, 3500, true, 380}};
  REQUIRE_FALSE(s.write(end));

  std::string err;
  auto got = s.call("CA1", err);
  REQUIRE(err.empty());
  REQUIRE(got);
  CHECK(got->status == "ended");
  CHECK(got->end_reason == "caller_stop");
  CHECK(got->ended_at == 99);
  CHECK(got->turns == 2);
  CHECK(got->latency_max_ms == 430);
  CHECK(got->from == "+15550001");
  CHECK(got->agent == "sales");
  CHECK(got->stream_sid == "MZCA1");
  auto tr = s.transcript("CA1", err);
  REQUIRE(tr.size() == 4);
  CHECK(tr[0].speaker == "caller");
  CHECK(tr[0].text == "hello");
  CHECK(tr[1].text == "Hello! How can I help?");
  CHECK(tr[1].latency_ms == 420);
  CHECK(tr[1].started_at == 1001);
  CHECK(tr[2].text == "where is my order");
  CHECK_FALSE(tr[2].interrupted);
  CHECK(tr[3].interrupted);
  CHECK(tr[3].turn == 2);
  CHECK(tr[3].ended_at == 3500);
  CHECK(s.transcript("CA2", err).size() == 1);
  CHECK_FALSE(s.call("CA404", err));
  CHECK(err.empty());
}

} // namespace sb::test
