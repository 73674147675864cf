// An actor system on CAF's test coordinator: nothing runs until sched.run(), and time
// moves only with sched.advance_time(). Every message type is registered.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "messages/register.hpp"

namespace sb::test {

struct virtual_time_system {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;

  static caf::actor_system_config& prepare(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    sb::register_types(c);
    return c;
  }

  virtual_time_system()
    : sys(prepare(cfg)),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {}
};

} // namespace sb::test
