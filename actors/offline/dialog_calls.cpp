#include "actors/offline/dialog_calls.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "messages/offline.hpp"

namespace sb {

dialog_calls::entry& dialog_calls::entry_of(const caf::actor& call, bool& fresh) {
  auto it = calls_.find(call.id());
  fresh = it == calls_.end();
  if (fresh)
    it = calls_.emplace(call.id(), entry{dialog::begin(*script_), 0, {}}).first;
  return it->second;
}

void dialog_calls::forget_when_gone(const caf::actor& call) {
  call->attach_functor([w = weak_from_this(), id = call.id()] {
    if (auto self = w.lock()) {
      std::lock_guard<std::mutex> g{self->m_};
      self->calls_.erase(id);
    }
  });
}

dialog::turn dialog_calls::answer(const caf::actor& call, const std::string& heard) {
  bool fresh = false;
  dialog::turn t;
  caf::actor_addr recogniser;
  {
    std::lock_guard<std::mutex> g{m_};
    auto& e = entry_of(call, fresh);
    t = dialog::advance(*script_, e.at, heard);
    ++e.answers;
    recogniser = e.recogniser;
  }
  if (fresh)
    forget_when_gone(call);
  if (auto r = caf::actor_cast<caf::actor>(recogniser))
    caf::anon_send(r, dialog_answered_atom_v);
  return t;
}

void dialog_calls::listen(const caf::actor& call, const caf::actor& recogniser) {
  bool fresh = false;
  {
    std::lock_guard<std::mutex> g{m_};
    entry_of(call, fresh).recogniser = recogniser.address();
  }
  if (fresh)
    forget_when_gone(call);
}

dialog_calls::listening dialog_calls::listening_of(caf::actor_id call) const {
  std::lock_guard<std::mutex> g{m_};
  auto it = calls_.find(call);
  if (it == calls_.end())
    return {script_->start_index, 0};
  return {it->second.at.state, it->second.answers};
}

size_t dialog_calls::calls() const {
  std::lock_guard<std::mutex> g{m_};
  return calls_.size();
}

} // namespace sb
