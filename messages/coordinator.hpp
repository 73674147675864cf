// One home at a time (docs/design/cluster-leases.md, H10): the vocabulary between a
// node's pool fronts and its coordinator actor (actors/coordinator_actor.hpp), which
// holds the pools' home leases in an external store ([cluster] coordinator).
//
// The coordinator's typed interface is coordinator_actor (messages/pool_cluster.hpp).
//   front -> coordinator   (coord_want_atom, pool, bool, front): "I am (not) this pool's home
//                           by the view": claim and renew its lease / give it up
//   coordinator -> front   coord_status after every claim or renewal of that pool
//   front timer            pool_authority_atom: re-check authority at ready_at or
//                           valid_until
//   front -> coordinator   (coord_takeover_atom, pool, epoch, front): "the drained home of
//                           that claim handed me its lease table": take that claim over
//                           (no recovery wait) if it is still the current one; else
//                           claim as for coord_want_atom
//   front -> coordinator   (coord_handed_atom, pool): "I handed this pool over": stop
//                           renewing its lease and do not release it (the successor
//                           takes it over while it is still valid)
// Same process only; registered in register.cpp all the same.
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timestamp.hpp>

namespace sb {

// Times are on the actor clock (caf::actor_clock::time_point's time_since_epoch): the
// front and the coordinator run in one actor system.
struct coord_status {
  std::string pool;
  bool held = false;          // this node holds the pool's home lease
  uint64_t epoch = 0;         // held: its fencing counter
  caf::timespan valid_until{0};  // held: no grant or renewal after this (holder clock)
  caf::timespan ready_at{0};     // held: no new grant before this (recovery after a claim)
  std::string holder;         // not held: who holds it ("" = unknown)
  std::string reason;         // the store's trouble ("" = it answered)
};

using coord_want_atom = caf::atom_constant<caf::atom("cwant")>;
using coord_tick_atom = caf::atom_constant<caf::atom("ctick")>;
using pool_authority_atom = caf::atom_constant<caf::atom("pauth")>;
using coord_takeover_atom = caf::atom_constant<caf::atom("ctakeover")>;
using coord_handed_atom = caf::atom_constant<caf::atom("chanded")>;
constexpr coord_takeover_atom coord_takeover_atom_v{};
constexpr coord_handed_atom coord_handed_atom_v{};
constexpr coord_want_atom coord_want_atom_v{};
constexpr coord_tick_atom coord_tick_atom_v{};
constexpr pool_authority_atom pool_authority_atom_v{};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, coord_status& x) {
  return f(caf::meta::type_name("coord_status"), x.pool, x.held, x.epoch, x.valid_until,
           x.ready_at, x.holder, x.reason);
}

} // namespace sb
