// The call actor's read-only inspection handler for the debug console: answers
// call_inspect_atom with a call_snapshot (messages/call_inspect.hpp). Private to actors/.
#pragma once

#include <caf/message_handler.hpp>

#include "actors/call_leases.hpp"
#include "actors/call_state.hpp"
#include "messages/call_inspect.hpp"

namespace caf {
class event_based_actor;
}

namespace sb {

// `d` and `leases` belong to `self` and outlive the handler (it is part of its behavior).
// `state`: the state of the behaviour the handler is part of, the name it reports.
caf::message_handler inspect_handler(caf::event_based_actor* self, const call_data& d,
                                     const call_leases& leases, call_state state);

} // namespace sb
