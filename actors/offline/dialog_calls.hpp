// Where each call is in the scripted dialog, shared by the scripted LLM (which moves it
// on) and the call's recogniser (which listens with that state's grammar). Keyed by the
// call actor; an entry goes when the call actor does. Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <caf/actor.hpp>

#include "actors/dialog/dialog_engine.hpp"

namespace sb {

class dialog_calls : public std::enable_shared_from_this<dialog_calls> {
public:
  explicit dialog_calls(std::shared_ptr<const dialog::script> s) : script_(std::move(s)) {}
  const dialog::script& script() const { return *script_; }
  // The caller said `heard`: the call's next state and what the agent says.
  dialog::turn answer(const caf::actor& call, const std::string& heard);
  // The state whose grammar the call's recogniser uses now.
  size_t state_of(caf::actor_id call) const;
  size_t calls() const;

private:
  std::shared_ptr<const dialog::script> script_;
  mutable std::mutex m_;
  std::unordered_map<caf::actor_id, dialog::position> calls_;
};

} // namespace sb
