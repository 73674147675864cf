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
//   front -> home front      request (pool_home_atom, pool_renew{from, epoch, ids, inc})
//                              -> pool_renewed{epoch, home, unknown, ttl_ms, coord_epoch,
//                              inc}: one batched
//                              renewal of every lease the front holds there, each
//                              lease_renew_interval (docs/design/cluster-leases.md)
//   front -> call            (pool_revoke_atom, lease id): the front could not renew in
//                              time; the call closes that stream at once and degrades
//   cluster -> cluster       request pool_fronts_atom -> pool_fronts (a member's fronts)
//   node -> front            request pool_handover_atom -> bool: at shutdown, a drained
//                              home hands its lease table to its successor (true: done)
//   home front -> engine     request pool_handover_atom -> pool_table: every lease it
//                              counts; the engine grants nothing more and quits
//   home front -> successor  pool_handover{from, coord_epoch, table}: the successor
//                              counts the table's leases and, with a coordinator, takes
//                              over the home lease of that epoch without a recovery wait
//   successor front -> engine pool_table: install these leases (not monitored, expire
//                              unless their holder reports or renews them)
// Every type here crosses node boundaries and is registered in register.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/coordinator.hpp"
#include "messages/pool.hpp"

namespace sb {

struct pool_view;
struct pool_adopt;
struct pool_adopted;
struct pool_renew;
struct pool_renewed;
struct pool_table;
struct pool_handover;

using pool_home_atom = caf::atom_constant<caf::atom("phome")>;
using pool_fronts_atom = caf::atom_constant<caf::atom("pfronts")>;
using pool_retry_atom = caf::atom_constant<caf::atom("pretry")>;
using pool_report_atom = caf::atom_constant<caf::atom("preport")>;
using pool_renew_atom = caf::atom_constant<caf::atom("prenew")>;    // front timer
using pool_fence_atom = caf::atom_constant<caf::atom("pfence")>;    // front timer
using pool_sweep_atom = caf::atom_constant<caf::atom("psweep")>;    // engine timer
using pool_revoke_atom = caf::atom_constant<caf::atom("prevoke")>;  // front -> call
using pool_pulse_atom = caf::atom_constant<caf::atom("ppulse")>;    // front timer
using pool_handover_atom = caf::atom_constant<caf::atom("phandover")>;
constexpr pool_handover_atom pool_handover_atom_v{};
constexpr pool_renew_atom pool_renew_atom_v{};
constexpr pool_fence_atom pool_fence_atom_v{};
constexpr pool_sweep_atom pool_sweep_atom_v{};
constexpr pool_revoke_atom pool_revoke_atom_v{};
constexpr pool_pulse_atom pool_pulse_atom_v{};
constexpr pool_home_atom pool_home_atom_v{};
constexpr pool_fronts_atom pool_fronts_atom_v{};
constexpr pool_retry_atom pool_retry_atom_v{};
constexpr pool_report_atom pool_report_atom_v{};

// The pool front (actors/pool_front.hpp): the pool interface its calls use, extended with
// what the cluster, the other nodes' fronts, the coordinator and its own timers send it.
// A pool_front_actor converts to a pool_actor, so the compiler checks the front against
// the pool interface.
using pool_front_actor = pool_actor::extend<
  // the cluster actor: who is up
  caf::reacts_to<pool_view>,
  // other fronts: reports to a new home, and the home's "report again"
  caf::replies_to<pool_adopt>::with<pool_adopted>,
  caf::reacts_to<pool_report_atom>,
  // other nodes' fronts, when this node is the home
  caf::replies_to<pool_home_atom, pool_acquire>::with<pool_lease>,
  caf::reacts_to<pool_home_atom, pool_release>,
  caf::reacts_to<pool_home_atom, pool_cancel>,
  caf::replies_to<pool_home_atom, pool_renew>::with<pool_renewed>,
  caf::replies_to<caf::get_atom, pool_home_atom>::with<pool_stats>,
  // planned leave: this node asks its front to hand over; a leaving home's table arrives
  caf::replies_to<pool_handover_atom>::with<bool>,
  caf::reacts_to<pool_handover>,
  // the coordinator: this node's home lease (messages/coordinator.hpp)
  caf::reacts_to<coord_status>,
  caf::reacts_to<pool_authority_atom>,
  // its own timers
  caf::reacts_to<pool_retry_atom>,
  caf::reacts_to<pool_renew_atom>,
  caf::reacts_to<pool_pulse_atom>,
  caf::reacts_to<pool_fence_atom>>;

// The coordinator actor (actors/coordinator_actor.hpp) as the fronts and its own timer
// drive it; each message from a front names that front, which it answers with
// coord_status (messages/coordinator.hpp). Same process only.
using coordinator_actor = caf::typed_actor<
  caf::reacts_to<coord_want_atom, std::string, bool, pool_front_actor>,
  caf::reacts_to<coord_takeover_atom, std::string, uint64_t, pool_front_actor>,
  caf::reacts_to<coord_handed_atom, std::string>,
  caf::reacts_to<coord_tick_atom>>;

// One up member as a pool front sees it: its name and its front for this pool.
struct pool_member {
  std::string name;
  pool_front_actor front;
};

// The live members for one pool, this node included, as the cluster actor sees them.
// `share`: this node is alone although it belongs to a cluster (it has seeds or has seen
// other members): it must use its configured local share of the limit. `left`: members
// that are down because they left (cluster_leave, after their calls ended), not failed.
struct pool_view {
  std::string self;
  std::vector<pool_member> members;
  bool share = false;
  std::vector<std::string> left;
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
// `incarnation`: the reporting process' (random per start): the home refuses renewals
// from an earlier incarnation of the same node from then on.
struct pool_adopt {
  std::string from;
  caf::actor holder;
  std::vector<pool_held> leases;
  uint64_t incarnation = 0;
};

// The home's lease ids of the adopted leases, in the order they were reported, and the
// home process' incarnation: the reporter refuses renewal answers of another one.
struct pool_adopted {
  std::vector<uint64_t> ids;
  uint64_t incarnation = 0;
};

// "I still hold these leases" (the home's ids): a front's renewal of all it holds at the
// home, once per lease_renew_interval. `epoch` is the front's epoch for this home and is
// echoed, so the answer of an earlier home is recognised and refused.
struct pool_renew {
  std::string from;
  uint64_t epoch = 0;
  std::vector<uint64_t> ids;
  uint64_t incarnation = 0;  // the renewing process' (see pool_adopt)
};

// The home's answer. `unknown`: ids it does not count for this front (expired, reclaimed
// or never granted): the front must close their streams now. `home`: the home's node
// name; `ttl_ms`: how long after this renewal the home keeps counting them (before its
// margin); the front fences on the shorter of this and its own TTL.
struct pool_renewed {
  uint64_t epoch = 0;
  std::string home;
  std::vector<uint64_t> unknown;
  int64_t ttl_ms = 0;
  // With a coordinator: the epoch of the home lease the home grants under (0 = none).
  // A holder refuses an answer below the highest it has seen: that home was replaced.
  uint64_t coord_epoch = 0;
  uint64_t incarnation = 0;  // the home process'
};

// A home's lease table: every lease its engine counts, grouped by holder (each as the
// holder would report it: its tickets, so the holder's own report later matches them),
// and its totals (carried into the successor's statistics).
struct pool_table {
  std::vector<pool_adopt> holders;
  pool_stats totals;
};

// "I was the home and I am leaving (drained)": the leaving home's table, sent to the
// successor by the view. `coord_epoch`: the home lease it granted under (0 = none): the
// successor may take over exactly that claim in the coordinator and grant at once,
// because every lease granted under it is in `table`.
struct pool_handover {
  std::string from;
  uint64_t coord_epoch = 0;
  pool_table table;
};

// A member's pool fronts by pool name (answer to pool_fronts_atom).
struct pool_fronts {
  std::vector<std::string> names;
  std::vector<pool_front_actor> fronts;
};


// The pool actor as a home front drives it: the lease protocol plus adoption, renewal and
// the expiry sweep of leases held by other nodes' fronts (its timer, sent to itself).
using pool_engine = pool_actor::extend<caf::replies_to<pool_adopt>::with<pool_adopted>,
                                       caf::replies_to<pool_renew>::with<pool_renewed>,
                                       caf::reacts_to<pool_sweep_atom>,
                                       caf::replies_to<pool_handover_atom>::with<pool_table>,
                                       caf::reacts_to<pool_table>>;

#define SB_INSPECT(type, ...)                                                    \
  template <class Inspector>                                                     \
  typename Inspector::result_type inspect(Inspector& f, type& x) {               \
    return f(caf::meta::type_name(#type), __VA_ARGS__);                          \
  }

SB_INSPECT(pool_member, x.name, x.front)
SB_INSPECT(pool_view, x.self, x.members, x.share, x.left)
SB_INSPECT(pool_held, x.ticket, x.key_label, x.key_index, x.est_tokens)
SB_INSPECT(pool_adopt, x.from, x.holder, x.leases, x.incarnation)
SB_INSPECT(pool_adopted, x.ids, x.incarnation)
SB_INSPECT(pool_fronts, x.names, x.fronts)
SB_INSPECT(pool_renew, x.from, x.epoch, x.ids, x.incarnation)
SB_INSPECT(pool_table, x.holders, x.totals)
SB_INSPECT(pool_handover, x.from, x.coord_epoch, x.table)
SB_INSPECT(pool_renewed, x.epoch, x.home, x.unknown, x.ttl_ms, x.coord_epoch, x.incarnation)

#undef SB_INSPECT

} // namespace sb
