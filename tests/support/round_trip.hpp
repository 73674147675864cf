// A fixture that sends a value through CAF's binary serializer and back, as it would
// travel between nodes, and returns the copy rendered by deep_to_string.
#pragma once

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>

#include "messages/register.hpp"

namespace sb::test {

struct round_trip_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  static caf::actor_system_config& prepare(caf::actor_system_config& c) {
    sb::register_types(c);
    return c;
  }
  round_trip_fixture() : sys(prepare(cfg)) {}

  template <class T>
  std::string round_trip(const T& x) {
    auto msg = caf::make_message(x);
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    REQUIRE(!sink(msg));
    caf::message copy;
    caf::binary_deserializer source{sys, buf};
    REQUIRE(!source(copy));
    REQUIRE(copy.match_elements<T>());
    return caf::deep_to_string(copy.get_as<T>(0));
  }
};

} // namespace sb::test
