// Placing calls from a test with the simulated caller engine (tools/caller).
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include "tools/caller/caller_engine.hpp"

namespace sb::test {

// `n` callers who each speak `turns` times; every one of them must finish within 60 s.
inline std::vector<caller::result> place_calls(uint16_t port, int n, int turns) {
  caller::engine e("127.0.0.1", port);
  caller::script s;
  s.turns = turns;
  for (int i = 0; i < n; ++i)
    e.add(s);
  REQUIRE(e.run(std::chrono::seconds{60}));
  return e.results();
}

} // namespace sb::test
