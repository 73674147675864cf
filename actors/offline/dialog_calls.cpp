#include "actors/offline/dialog_calls.hpp"

namespace sb {

dialog::turn dialog_calls::answer(const caf::actor& call, const std::string& heard) {
  bool fresh = false;
  dialog::turn t;
  {
    std::lock_guard<std::mutex> g{m_};
    auto it = calls_.find(call.id());
    if (it == calls_.end()) {
      it = calls_.emplace(call.id(), dialog::begin(*script_)).first;
      fresh = true;
    }
    t = dialog::advance(*script_, it->second, heard);
  }
  if (fresh)
    call->attach_functor([w = weak_from_this(), id = call.id()] {
      if (auto self = w.lock()) {
        std::lock_guard<std::mutex> g{self->m_};
        self->calls_.erase(id);
      }
    });
  return t;
}

size_t dialog_calls::state_of(caf::actor_id call) const {
  std::lock_guard<std::mutex> g{m_};
  auto it = calls_.find(call);
  return it == calls_.end() ? script_->start_index : it->second.state;
}

size_t dialog_calls::calls() const {
  std::lock_guard<std::mutex> g{m_};
  return calls_.size();
}

} // namespace sb
