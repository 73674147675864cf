// What one call keeps in the session store (actors/session_store.hpp): its snapshot at
// every turn, and at its end whether the snapshot stays (the stream may come back: the
// socket closed without a stop, or the node shut down under it) or goes (the call is
// over). Owned by the call actor; the read at start is the actor's (it needs a request).
#pragma once

#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "messages/call.hpp"
#include "messages/session.hpp"

namespace sb {

class call_session {
public:
  // `store` may be invalid: nothing is kept.
  void attach(caf::actor store, std::string node) {
    store_ = std::move(store);
    node_ = std::move(node);
  }
  bool enabled() const { return static_cast<bool>(store_); }
  const caf::actor& store() const { return store_; }

  void started(const std::string& call_id, const std::string& stream_sid, int64_t now_ms);
  // A snapshot was found: the call goes on from it.
  void resumed(const session_snapshot& s);
  // The snapshot now (every turn).
  void save(const std::vector<chat_message>& history, uint32_t turn, call_state state,
            int64_t now_ms);
  void ended(call_end why);

  const std::string& call_id() const { return call_id_; }
  int64_t started_at() const { return started_at_; }
  uint32_t resumes() const { return resumes_; }

  // Whether a call that ended so may come back (its snapshot is kept).
  static bool may_come_back(call_end why) {
    return why == call_end::caller_hangup || why == call_end::shutdown;
  }

private:
  caf::actor store_;
  std::string node_;
  std::string call_id_;
  std::string stream_sid_;
  int64_t started_at_ = 0;
  uint32_t resumes_ = 0;
  bool ended_ = false;
};

} // namespace sb
