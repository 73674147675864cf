// The cluster's wire messages: arbitrary bytes through CAF's binary_deserializer, as the
// middleman hands a peer's bytes to it. The first byte picks a message type
// (cluster_types.hpp) or a whole type-erased caf::message (which names its types, looked
// up among those register_types() registered).
// - Deserializing never crashes, whatever the bytes; failing is an error value.
// - What deserializes serializes, and that deserializes again to a value that serializes
//   to the same bytes (the serialized form is stable). Except a value holding an
//   infinite double (bytes with an all-ones exponent read as one): CAF 0.17's serializer
//   loops forever on it (detail/ieee_754.hpp, pack754 halves infinity until it is below
//   2). The node never serializes one: no double it sends can be infinite (the only one
//   in a message between nodes, pool_stats::utilization, is a ratio guarded against 0/0).
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>

#include "fuzz/check.hpp"
#include "fuzz/cluster_types.hpp"
#include "messages/register.hpp"

using sb::fuzz::check;

namespace {

caf::actor_system& sys() {
  static caf::actor_system_config cfg;
  static caf::actor_system* s = [] {
    sb::register_types(cfg);
    cfg.set("scheduler.max-threads", 1);
    return new caf::actor_system(cfg);  // lives as long as the process
  }();
  return *s;
}

// Whether deep_to_string shows an infinite (or NaN) number: "inf" / "nan" as a token of
// its own, not inside a quoted string.
bool non_finite(const std::string& text) {
  auto is_sep = [](char c) { return c == ' ' || c == ',' || c == '(' || c == ')' ||
                                    c == '[' || c == ']' || c == '-' || c == '='; };
  for (const char* tok : {"inf", "nan"})
    for (size_t at = text.find(tok); at != std::string::npos; at = text.find(tok, at + 1)) {
      bool before = at == 0 || is_sep(text[at - 1]);
      bool after = at + 3 == text.size() || is_sep(text[at + 3]);
      if (before && after)
        return true;
    }
  return false;
}

template <class T>
void round_trip(const char* data, size_t size) {
  T x;
  caf::binary_deserializer src{sys(), data, size};
  if (src(x))
    return;  // an error, as it should be for most inputs
  if (non_finite(caf::deep_to_string(x)))
    return;  // see the note at the top
  std::vector<char> once;
  caf::binary_serializer sink{sys(), once};
  check(!sink(x), "a deserialized value does not serialize");
  T y;
  caf::binary_deserializer src2{sys(), once};
  check(!src2(y), "a serialized value does not deserialize");
  check(src2.remaining() == 0, "a serialized value has bytes left over");
  std::vector<char> twice;
  caf::binary_serializer sink2{sys(), twice};
  check(!sink2(y), "a value does not serialize the second time");
  check(once == twice, "the serialized form is not stable");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  size_t which = data[0];
  auto* bytes = reinterpret_cast<const char*>(data + 1);
  if (which < sb::fuzz::cluster_type_count)
    sb::fuzz::with_cluster_type(which, [&](auto tag) {
      round_trip<decltype(tag)>(bytes, size - 1);
    });
  else
    round_trip<caf::message>(bytes, size - 1);
  return 0;
}
