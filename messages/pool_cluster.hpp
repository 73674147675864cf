// Cluster-wide pools: the vocabulary between a node's pool fronts, the pool engine they
// drive and the cluster actor that tells them who is up. docs/pools.md ("Cluster-wide
// pools") describes the protocol; actors/pool_front.hpp is the front.
//
//   cluster actor -> front   pool_view{self, members (up, with their front), share}
//   front -> front           (pool_home_atom, pool_acquire | pool_release | pool_cancel)
//                              the home delegates them to its engine: the engine sees the
//                              requesting front as the holder and monitors it
//   front -> home front      request pool_adopt{from, leases}  -> pool_adopted{ids}
//                              after the home changed: "these leases are held here";
//                              the home answers once it has heard from every live member
//   home front -> engine     request pool_adopt{from, holder, leases} -> pool_adopted
//   home front -> front      pool_report_atom: "I started a new engine, report again"
//   front -> home front      request (caf::get_atom, pool_home_atom) -> pool_stats
//   cluster -> cluster       request pool_fronts_atom -> pool_fronts (a member's fronts)
// Every type here crosses node boundaries and is registered in register.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>

#include "messages/pool.hpp"

namespace sb {

// One up member as a pool front sees it: its name and its front for this pool.
struct pool_member {
  std::string name;
  caf::actor front;
};

// The live members for one pool, this node included, as the cluster actor sees them.
// `share`: this node is alone although it belongs to a cluster (it has seeds or has seen
// other members): it must use its configured local share of the limit.
struct pool_view {
  std::string self;
  std::vector<pool_member> members;
  bool share = false;
};

// A lease a front holds for its calls, reported to a new home.
struct pool_held {
  uint64_t ticket = 0;        // the front's ticket it was acquired under
  std::string key_label;
  uint32_t key_index = 0;     // used when the label is unknown to the home
  uint32_t est_tokens = 0;
};

// "These leases are held on node `from`": sent by a front to a new home; the home front
// fills `holder` (the reporting front) and installs them in its engine.
struct pool_adopt {
  std::string from;
  caf::actor holder;
  std::vector<pool_held> leases;
};

// The home's lease ids of the adopted leases, in the order they were reported.
struct pool_adopted {
  std::vector<uint64_t> ids;
};

// A member's pool fronts by pool name (answer to pool_fronts_atom).
struct pool_fronts {
  std::vector<std::string> names;
  std::vector<caf::actor> fronts;
};

using pool_home_atom = caf::atom_constant<caf::atom("phome")>;
using pool_fronts_atom = caf::atom_constant<caf::atom("pfronts")>;
using pool_retry_atom = caf::atom_constant<caf::atom("pretry")>;
using pool_report_atom = caf::atom_constant<caf::atom("preport")>;
constexpr pool_home_atom pool_home_atom_v{};
constexpr pool_fronts_atom pool_fronts_atom_v{};
constexpr pool_retry_atom pool_retry_atom_v{};
constexpr pool_report_atom pool_report_atom_v{};

// The pool actor as a home front drives it: the lease protocol plus adoption.
using pool_engine = pool_actor::extend<caf::replies_to<pool_adopt>::with<pool_adopted>>;

#define SB_INSPECT(type, ...)                                                    \
  template <class Inspector>                                                     \
  typename Inspector::result_type inspect(Inspector& f, type& x) {               \
    return f(caf::meta::type_name(#type), __VA_ARGS__);                          \
  }

SB_INSPECT(pool_member, x.name, x.front)
SB_INSPECT(pool_view, x.self, x.members, x.share)
SB_INSPECT(pool_held, x.ticket, x.key_label, x.key_index, x.est_tokens)
SB_INSPECT(pool_adopt, x.from, x.holder, x.leases)
SB_INSPECT(pool_adopted, x.ids)
SB_INSPECT(pool_fronts, x.names, x.fronts)

#undef SB_INSPECT

} // namespace sb
