// Session snapshots as read back from Redis (net/codec/session_json): whatever is under a
// session key (another build's, a person's, a corrupted value) is refused or read whole.
// - No crash and no exception on any input.
// - A snapshot that is accepted has only user/assistant messages, and written back it
//   reads back to the same snapshot (the codec is its own inverse).
#include <cstdint>
#include <string>

#include "fuzz/check.hpp"
#include "net/codec/session_json.hpp"

using sb::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  sb::session_snapshot s;
  std::string error;
  if (!sb::codec::snapshot_from_json(in, s, error)) {
    check(!error.empty(), "a refusal without a reason");
    return 0;
  }
  for (auto& m : s.history)
    check(m.role == "user" || m.role == "assistant", "a message of another role accepted");
  sb::session_snapshot back;
  check(sb::codec::snapshot_from_json(sb::codec::snapshot_to_json(s), back, error),
        "a snapshot written back is refused");
  check(back.call_id == s.call_id && back.node == s.node && back.turn == s.turn &&
          back.state == s.state && back.started_at == s.started_at &&
          back.updated_at == s.updated_at && back.resumes == s.resumes &&
          back.history.size() == s.history.size(),
        "a snapshot does not read back to itself");
  for (size_t i = 0; i < s.history.size(); ++i)
    check(back.history[i].content == s.history[i].content, "a message changed on the way");
  return 0;
}
