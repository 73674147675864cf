// Transcripts through a real node with a PostgreSQL store ([store] transcripts =
// postgresql://...) on a server the test starts: the call's record and entries are in its
// tables, the call records API answers from it, and the password (in the URI, or in
// PGPASSWORD) shows nowhere; the server stopped while the node runs and a call goes on,
// then started again: no entry lost.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/postgres_server.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using sb::test::get_json;
using sb::test::pg_query;

namespace {

struct server : sb::test::postgres_server {
  server() : postgres_server(sb::test::temp_dir("sb-pg")) {}
};

bool one_call(uint16_t node_port, int turns) {
  sb::caller::engine e("127.0.0.1", node_port);
  sb::caller::script s;
  s.turns = turns;
  e.add(s, 0ms);
  return e.run(60s) && e.results()[0].turns_answered == turns;
}

nlohmann::json transcripts_stats(uint16_t port) {
  return get_json(port, "/api/v1/stats")["transcripts"];
}

} // namespace

TEST_CASE("a node with a PostgreSQL store writes calls there and answers the API from it") {
  server pg;
  sb::test::stack st({"--tts-ms-per-char", "5"},
                     {"batcher.max_delay=60s", "store.transcripts=" + pg.uri()});
  REQUIRE(one_call(st.node_port, 2));
  REQUIRE(sb::test::wait_until([&] {
    auto t = transcripts_stats(st.node_port);
    return t["entries_written"].get<int>() >= 4 && t["buffered"] == 0;
  }));
  auto calls = pg_query(pg.uri(), "SELECT * FROM calls");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]["call_id"] == "CAsim0");
  CHECK(calls[0]["status"] == "ended");
  CHECK(calls[0]["end_reason"] == "caller_stop");
  CHECK(calls[0]["turns"] == "2");
  auto entries = pg_query(pg.uri(), "SELECT speaker, text, interrupted FROM "
                                    "transcript_entries WHERE call_id = 'CAsim0' ORDER BY id");
  REQUIRE(entries.size() == 4);
  CHECK(entries[0]["speaker"] == "caller");
  CHECK(entries[0]["text"] == "caller utterance 1");
  CHECK(entries[1]["speaker"] == "agent");
  CHECK(entries[1]["interrupted"] == "f");

  auto call = get_json(st.node_port, "/api/v1/calls/CAsim0");
  CHECK(call["status"] == "ended");
  CHECK(call["turns"] == 2);
  REQUIRE(call["transcript"].size() == 4);
  CHECK(call["transcript"][0]["text"] == "caller utterance 1");
  CHECK(call["transcript"][3]["speaker"] == "agent");
  CHECK(sb::test::http_request(st.node_port, "GET", "/api/v1/calls/CAnone").status == 404);
  auto ended = get_json(st.node_port, "/api/v1/calls?status=ended&agent=&limit=10");
  CHECK(ended["count"] == 1);
  CHECK(get_json(st.node_port, "/api/v1/calls?status=active")["count"] == 0);

  // Where it writes, without the password, in the stats and the log.
  CHECK(transcripts_stats(st.node_port)["store"] == pg.uri(false));
  auto log = st.node_log();
  CHECK(log.find("transcripts: " + pg.uri(false) + " (schema version 1)") !=
        std::string::npos);
  CHECK(log.find(pg.password) == std::string::npos);
}

TEST_CASE("a node whose PostgreSQL server stops and starts again mid-run loses no entry") {
  server pg;
  // The password from libpq's environment, not the config.
  sb::test::stack st({"--tts-ms-per-char", "5"},
                     {"batcher.max_delay=100ms", "store.transcripts=" + pg.uri(false)},
                     {"PGPASSWORD=" + pg.password});
  pg.stop();
  REQUIRE(one_call(st.node_port, 2));  // the node goes on taking calls
  REQUIRE(sb::test::wait_until([&] {
    auto t = transcripts_stats(st.node_port);
    return t["write_failures"].get<int>() >= 1 && t["buffered"] == 4;
  }));
  auto t = transcripts_stats(st.node_port);
  CHECK(t["last_error"].get<std::string>().find("cannot connect") != std::string::npos);
  auto r = sb::test::http_request(st.node_port, "GET", "/api/v1/calls/CAsim0");
  CHECK(r.status == 503);
  CHECK(nlohmann::json::parse(r.body, nullptr, false)["error"] == "store_unavailable");

  pg.restart();
  REQUIRE(sb::test::wait_until([&] {
    auto t = transcripts_stats(st.node_port);
    return t["entries_written"] == 4 && t["buffered"] == 0 && t["last_error"] == "";
  }));
  auto calls = pg_query(pg.uri(), "SELECT status, turns FROM calls WHERE call_id = 'CAsim0'");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]["status"] == "ended");
  auto entries = pg_query(pg.uri(), "SELECT speaker, turn FROM transcript_entries ORDER BY id");
  REQUIRE(entries.size() == 4);
  const char* speakers[] = {"caller", "agent", "caller", "agent"};
  for (size_t i = 0; i < entries.size(); ++i) {
    CHECK(entries[i]["speaker"] == speakers[i]);
    CHECK(entries[i]["turn"] == std::to_string(i / 2 + 1));
  }
  CHECK(get_json(st.node_port, "/api/v1/calls/CAsim0")["transcript"].size() == 4);
  CHECK(t["dropped"] == 0);
}
