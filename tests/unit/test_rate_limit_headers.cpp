#include <catch2/catch.hpp>

#include "net/codec/rate_limit_headers.hpp"

using namespace sb::codec;
using std::chrono::milliseconds;

TEST_CASE("retry-after: absent or unusable is -1") {
  CHECK(parse_retry_after_ms("", "") == -1);
  CHECK(parse_retry_after_ms("soon", "") == -1);
  CHECK(parse_retry_after_ms("-1", "") == -1);
  CHECK(parse_retry_after_ms("+1", "") == -1);
  CHECK(parse_retry_after_ms("1e3", "") == -1);
  CHECK(parse_retry_after_ms("1 2", "") == -1);
  CHECK(parse_retry_after_ms(".", "") == -1);
  CHECK(parse_retry_after_ms("99999999999999999999", "") == -1);
  // An HTTP date needs the current time: reported as unknown.
  CHECK(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", "") == -1);
}

TEST_CASE("retry-after: seconds, fractional seconds") {
  CHECK(parse_retry_after_ms("0", "") == 0);
  CHECK(parse_retry_after_ms("2", "") == 2000);
  CHECK(parse_retry_after_ms(" 20 ", "") == 20000);
  CHECK(parse_retry_after_ms("41.7", "") == 41700);
  CHECK(parse_retry_after_ms("0.5", "") == 500);
  CHECK(parse_retry_after_ms(".25", "") == 250);
  CHECK(parse_retry_after_ms("1.", "") == 1000);
  CHECK(parse_retry_after_ms("0.0001", "") == 1);  // rounds up
  CHECK(parse_retry_after_ms("3600", "") == 3600000);
}

TEST_CASE("retry-after-ms wins when valid") {
  CHECK(parse_retry_after_ms("", "1500") == 1500);
  CHECK(parse_retry_after_ms("20", "1500") == 1500);
  CHECK(parse_retry_after_ms("20", "12.2") == 13);
  CHECK(parse_retry_after_ms("20", "bad") == 20000);
  CHECK(parse_retry_after_ms("bad", "bad") == -1);
  CHECK(parse_retry_after_ms("", "0") == 0);
}

TEST_CASE("go durations") {
  CHECK(parse_go_duration("12ms") == milliseconds{12});
  CHECK(parse_go_duration("1s") == milliseconds{1000});
  CHECK(parse_go_duration("6m0s") == milliseconds{360000});
  CHECK(parse_go_duration("1h2m3.5s") == milliseconds{3723500});
  CHECK(parse_go_duration("0") == milliseconds{0});
  CHECK(parse_go_duration("0s") == milliseconds{0});
  CHECK(parse_go_duration("1.001s") == milliseconds{1001});
  CHECK(parse_go_duration("41.7s") == milliseconds{41700});
  CHECK(parse_go_duration("+2s") == milliseconds{2000});
  CHECK(parse_go_duration(" 7ms ") == milliseconds{7});
  // Sub-millisecond parts round up.
  CHECK(parse_go_duration("250us") == milliseconds{1});
  CHECK(parse_go_duration("250\xC2\xB5s") == milliseconds{1});
  CHECK(parse_go_duration("250\xCE\xBCs") == milliseconds{1});
  CHECK(parse_go_duration("999999ns") == milliseconds{1});
  CHECK(parse_go_duration("1000000ns") == milliseconds{1});
  CHECK(parse_go_duration("1s1ns") == milliseconds{1001});
  CHECK(parse_go_duration(".5s") == milliseconds{500});
}

TEST_CASE("go durations: malformed") {
  for (const char* bad : {"", "1", "s", "ms", "-1s", "1x", "1 s", "1s2", "1.5.5s", "1S",
                          "abc", ".s", "1h-2m", "99999999999h"}) {
    INFO(bad);
    CHECK_FALSE(parse_go_duration(bad));
  }
}
