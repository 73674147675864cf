// Where each call is in the scripted dialog, shared by the scripted LLM (which moves it
// on) and the call's recogniser (which listens with that state's grammar). Keyed by the
// call actor; an entry goes when the call actor does. Thread-safe.
// The recogniser tells "not answered yet" from "answered, same state" by the count of
// answers: after a transcript it waits for the count to move before it listens again,
// and each answer is announced to it (dialog_answered_atom).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>

#include "actors/dialog/dialog_engine.hpp"

namespace sb {

class dialog_calls : public std::enable_shared_from_this<dialog_calls> {
public:
  explicit dialog_calls(std::shared_ptr<const dialog::script> s) : script_(std::move(s)) {}
  const dialog::script& script() const { return *script_; }
  // The caller said `heard`: the call's next state and what the agent says.
  dialog::turn answer(const caf::actor& call, const std::string& heard);
  struct listening {
    size_t state = 0;      // the state whose grammar the call's recogniser uses
    uint64_t answers = 0;  // how many turns the dialog has answered in this call
  };
  listening listening_of(caf::actor_id call) const;
  // `recogniser` hears of each answer in `call` from now on (the call's last one does).
  void listen(const caf::actor& call, const caf::actor& recogniser);
  size_t calls() const;

private:
  std::shared_ptr<const dialog::script> script_;
  mutable std::mutex m_;
  struct entry {
    dialog::position at;
    uint64_t answers = 0;
    caf::actor_addr recogniser;  // weak: the entry does not keep it alive
  };
  // The call's entry (m_ held); a new one goes when the call actor does.
  entry& entry_of(const caf::actor& call, bool& fresh);
  void forget_when_gone(const caf::actor& call);
  std::unordered_map<caf::actor_id, entry> calls_;
};

} // namespace sb
