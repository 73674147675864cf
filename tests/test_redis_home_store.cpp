// The pools' home lease store on a real redis-server (net/redis/redis_home_store): a claim
// taken when free, renewed by its owner, refused to another while it lasts; a hand-over
// (take_over) replaces exactly the claim of the epoch handed, with a new epoch, and is an
// ordinary claim once that claim is gone or was replaced; release gives up only one's own.
#include <catch2/catch.hpp>

#include "net/redis/redis_home_store.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/redis_server.hpp"

using namespace std::chrono_literals;
using outcome = sb::home_claim::outcome;

TEST_CASE("the home lease in Redis: claims, renewals and a drained home's hand-over") {
  std::string dir = sb::test::temp_dir("sb-redis-home");
  sb::test::redis_server redis(dir);
  sb::redis_home_store store("127.0.0.1", redis.port, 1000ms);

  auto a = store.claim("stt", "n1/aa", 10s);
  REQUIRE(a.result == outcome::held);
  CHECK(a.fresh);
  CHECK_FALSE(a.handed);
  auto again = store.claim("stt", "n1/aa", 10s);
  CHECK(again.result == outcome::held);
  CHECK_FALSE(again.fresh);
  CHECK(again.epoch == a.epoch);
  auto other = store.claim("stt", "n2/bb", 10s);
  CHECK(other.result == outcome::taken);
  CHECK(other.holder == "n1/aa");

  // A take-over naming another epoch than the current claim's is an ordinary claim.
  auto wrong = store.take_over("stt", "n2/bb", a.epoch + 7, 10s);
  CHECK(wrong.result == outcome::taken);
  CHECK(wrong.holder == "n1/aa");
  // Naming the current claim's epoch: taken over, with a new epoch.
  auto t = store.take_over("stt", "n2/bb", a.epoch, 10s);
  REQUIRE(t.result == outcome::held);
  CHECK(t.handed);
  CHECK(t.epoch > a.epoch);
  CHECK(t.holder == "n2/bb");
  // The former holder's renewal now finds it taken, and its release changes nothing.
  auto late = store.claim("stt", "n1/aa", 10s);
  CHECK(late.result == outcome::taken);
  CHECK(late.holder == "n2/bb");
  CHECK(store.release("stt", "n1/aa"));
  CHECK(store.claim("stt", "n2/bb", 10s).result == outcome::held);
  // The same hand-over again (a repeated message) is only a renewal now.
  auto twice = store.take_over("stt", "n2/bb", a.epoch, 10s);
  CHECK(twice.result == outcome::held);
  CHECK_FALSE(twice.handed);
  CHECK(twice.epoch == t.epoch);
  // Once the lease is gone, a take-over is a fresh claim (its caller recovers).
  CHECK(store.release("stt", "n2/bb"));
  auto gone = store.take_over("stt", "n3/cc", t.epoch, 10s);
  CHECK(gone.result == outcome::held);
  CHECK(gone.fresh);
  CHECK_FALSE(gone.handed);
  CHECK(gone.epoch > t.epoch);
}
