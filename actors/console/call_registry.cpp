#include "actors/console/call_registry.hpp"

#include <map>
#include <memory>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "messages/call_inspect.hpp"
#include "messages/cluster.hpp"
#include "messages/console.hpp"

namespace sb::console {

namespace {

using namespace std::chrono_literals;

struct registry_state {
  static inline const char* name = "calls";
  std::map<caf::actor_addr, std::pair<uint64_t, caf::actor>> calls;
};

using registry_actor = call_registry_actor::stateful_pointer<registry_state>;

// `inspect_timeout`: how long `calls` waits for each call's snapshot. (Also keeps the
// spawn from having no arguments: CAF 0.17 then dereferences a null argument tuple,
// which UBSan reports.)
call_registry_actor::behavior_type registry_impl(registry_actor self,
                                                 caf::timespan inspect_timeout) {
  self->set_down_handler(
    [self](caf::down_msg& dm) { self->state.calls.erase(dm.source); });
  return {
    [self](caf::put_atom, uint64_t session, caf::actor call) {
      if (!call)
        return;
      self->monitor(call);
      self->state.calls[call.address()] = {session, call};
    },
    [self, inspect_timeout](caf::get_atom) -> caf::result<std::vector<call_snapshot>> {
      auto& calls = self->state.calls;
      if (calls.empty())
        return std::vector<call_snapshot>{};
      auto rp = self->make_response_promise<std::vector<call_snapshot>>();
      auto acc = std::make_shared<std::vector<call_snapshot>>();
      auto left = std::make_shared<size_t>(calls.size());
      auto one_done = [rp, acc, left]() mutable {
        if (--*left == 0)
          rp.deliver(std::move(*acc));
      };
      for (auto& [addr, entry] : calls) {
        auto session = entry.first;
        self->request(entry.second, inspect_timeout, call_inspect_atom_v)
          .then([acc, one_done](call_snapshot& s) mutable {
                  acc->push_back(std::move(s));
                  one_done();
                },
                [acc, one_done, session](caf::error& e) mutable {
                  if (e == caf::sec::request_receiver_down) {
                    one_done();  // ended meanwhile
                    return;
                  }
                  call_snapshot s;  // too busy to answer in time
                  s.session = session;
                  s.state = "UNRESPONSIVE";
                  acc->push_back(std::move(s));
                  one_done();
                });
      }
      return rp;
    },
    [self](mailbox_atom) { return static_cast<uint64_t>(self->mailbox().size()); },
  };
}

} // namespace

call_registry_actor spawn_call_registry(caf::actor_system& sys) {
  return sys.spawn(registry_impl, caf::timespan{1s});
}

} // namespace sb::console
