// State of a pool front (actors/pool_front.hpp) and the helpers its two halves share:
// pool_front.cpp (calls on this node, talking to the home) and pool_front_home.cpp (the
// home side: engine, rebuild, serving other fronts). Private to actors/.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/system_messages.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/pool_front.hpp"
#include "messages/coordinator.hpp"
#include "messages/pool_cluster.hpp"

namespace sb {

struct pool_front_state {
  using time_point = caf::actor_clock::time_point;
  using call_key = std::pair<caf::actor_addr, uint64_t>;  // (call, its ticket)

  static inline const char* name = "pool-front";

  // How far this front is with the current home (`epoch`).
  enum class phase : uint8_t {
    ready,       // leases are taken from the home
    adopting,    // our leases are reported to a new remote home; acquires wait
    rebuilding,  // this node is the new home and waits for the members' reports
  };

  // An acquire of a call on this node.
  struct pending {
    caf::actor_addr caller;
    uint64_t call_ticket = 0;
    uint32_t est_tokens = 0;
    time_point enqueued;
    time_point deadline;
    caf::response_promise rp;
    uint64_t sent_epoch = 0;  // 0 = not (or no longer) sent to a home
    time_point sent_at;       // when it was last sent: a grant is valid from here
  };

  // A lease held by a call on this node. `id` (the map key) is what the call sees;
  // `home_id` is the home's id, valid for `epoch`.
  struct lease {
    caf::actor_addr caller;
    uint64_t call_ticket = 0;
    uint64_t ticket = 0;  // our ticket at the home
    uint32_t key_index = 0;
    std::string key_label;
    uint32_t est_tokens = 0;
    uint64_t home_id = 0;
    uint64_t epoch = 0;     // home_id belongs to this epoch
    uint64_t reported = 0;  // epoch of the adopt report it is in
    bool released = false;  // released while its report was in flight
    pool_release release;
    // The home counts it at least until valid_from + the home's TTL + margin: valid_from
    // is when the acquire, the adopt report or the last acknowledged renewal was sent.
    time_point valid_from;
    // Granted or installed by this node's own engine: counted nowhere else.
    bool local = false;
    // Taken from a remote home and installed in this node's engine while it is alone
    // (share mode): counted against the local share, but that home may be alive on the
    // other side of a split and count it until it expires, so it is not renewed and is
    // still revoked by its deadline (then released here).
    bool borrowed = false;
  };

  pool_front_config cfg;
  // The view and the home.
  std::vector<pool_member> members;
  bool share = false;
  std::vector<std::string> left;  // members that left (drained), not failed
  std::string home;
  pool_front_actor home_front;  // when the home is another node
  pool_engine engine;     // when this node is the home
  bool share_mode = false;
  uint64_t epoch = 0;
  phase ph = phase::ready;
  std::set<std::string> waiting_for;  // rebuilding: members that have not reported
  // Members whose report this engine has installed: a renewal from any other member names
  // leases this engine cannot know yet (its report is on the way, or went to an engine
  // this node ran before), so it is not answered with "unknown" (which revokes them).
  std::set<std::string> reported;
  // Members asked to report again for this engine, and when (asked again after a renewal
  // interval if the report still has not come: the ask may have been lost).
  std::map<std::string, time_point> report_asked;
  size_t rebuild_installed = 0;       // rebuilding: other nodes' leases installed so far
  // Calls on this node.
  std::map<uint64_t, pending> pendings;   // by our ticket
  std::map<uint64_t, lease> leases;       // by the id the call sees
  std::map<call_key, uint64_t> call_pending;
  std::map<call_key, uint64_t> call_leases;
  std::map<caf::actor_addr, uint32_t> watched;
  uint64_t next_ticket = 1;
  uint64_t next_lease = 1;
  bool retry_planned = false;
  bool adopt_in_flight = false;
  uint64_t adopted_total = 0;
  // Lease renewal with a remote home (cfg.lease_ttl > 0).
  pool_front_actor monitored_home;    // the home front we monitor (link loss: fence)
  int64_t home_ttl_ms = 0;            // the home's TTL from its last renewal answer
  std::optional<time_point> fence_at; // earliest planned fence check
  uint64_t fenced_total = 0;          // leases revoked because they could not be renewed
  // One home at a time (cfg.coordinator set): this node's home lease for the pool, as
  // the coordinator last reported it.
  struct authority {
    bool held = false;
    uint64_t epoch = 0;
    time_point valid_until{};
    time_point ready_at{};
    std::string holder;
    std::string reason;
  };
  authority auth;
  bool want_home = false;                // what the coordinator was last told
  uint64_t engine_claim = 0;             // the lease epoch the engine grants under (0: none)
  uint64_t max_claim_seen = 0;           // highest lease epoch in a grant or renewal answer
  std::string max_claim_home;            // the home that answered with it
  uint64_t home_incarnation = 0;         // the remote home's, from its adopt answer
  std::optional<time_point> auth_check_at;
  // Takeover without a coordinator (H13): when the former home left the view without
  // handing over, its own calls' streams are counted nowhere else: no grant before this
  // (lease_ttl + lease_margin after the takeover).
  time_point recover_until{};
  // The home's dead-man switch (cfg.stall_limit): when the pulse timer last ran, and
  // that a stall was found and the engine must start over.
  std::optional<time_point> last_pulse;
  bool restart_engine = false;
  // Statistics across hand-overs: the totals of the former homes, carried into this
  // node's engine when it became the home, and the latest totals this front saw from
  // the home (its stats are polled every 500 ms).
  pool_stats carried;
  std::optional<pool_stats> last_totals;
  // Planned leave (pool_front_handover.cpp): this home handed its table to its successor
  // and grants nothing more.
  bool handed_over = false;
  // A drained home's table, installed in every full engine this node starts until
  // handed_until (lease_ttl + lease_margin after it came: by then its leases expired
  // unless their holders reported them); with a coordinator, its epoch is taken over.
  std::optional<pool_handover> handed_in;
  time_point handed_until{};

  // The engine goes with its front, also when the front is killed (no exit handler).
  ~pool_front_state();

  bool is_home() const { return home == cfg.node; }
  bool coordinated() const { return static_cast<bool>(cfg.coordinator); }
  // Coordinated: this node holds the pool's home lease now.
  bool holds_lease(time_point now) const { return auth.held && now < auth.valid_until; }
  // Coordinated home without its lease: it serves only its own calls, from local_share.
  bool local_only() const { return coordinated() && is_home() && share_mode; }
  // For pool_stats::authority ("" without a coordinator).
  std::string authority_text(time_point now) const;
  // Leases from a remote home expire unless renewed; those from this node's engine not.
  bool fenceable(const lease& l) const {
    return cfg.lease_ttl.count() > 0 && !l.released
           && (l.borrowed || !(engine && l.epoch == epoch));
  }
  // The TTL the holder acts on: the shorter of its own and the home's.
  caf::timespan ttl() const;
  // Past this (holder clock) the lease may no longer be counted at the home.
  time_point deadline(const lease& l) const;
  // Stats when the home cannot be asked: this node's part only.
  pool_stats local_stats() const;
};

using front_ptr = pool_front_actor::stateful_pointer<pool_front_state>;

// Adds the cumulative counters of `base` (totals, wait histogram, breaker openings,
// adoptions, per-key totals by label) to `st`.
void add_totals(pool_stats& st, const pool_stats& base);

// pool_front.cpp
void front_watch(front_ptr self, const caf::actor_addr& who);
void front_unwatch(front_ptr self, const caf::actor_addr& who);
void front_flush(front_ptr self);        // sends the waiting acquires to a ready home
void front_plan_retry(front_ptr self);   // a pool_retry_atom in 100 ms (once)
void front_release_home(front_ptr self, uint64_t home_id, const pool_release& r);
void front_apply_adopted(front_ptr self, uint64_t epoch, const std::vector<uint64_t>& ids,
                         const pool_adopted& a, pool_front_state::time_point sent_at);
// `borrow`: for a home alone, whose engine counts them all but keeps those taken from a
// remote home fenceable (lease::borrowed).
std::vector<pool_held> front_report(front_ptr self, std::vector<uint64_t>& ids,
                                    bool borrow = false);

// pool_front_lease.cpp: renewal and self-fencing
void front_renew(front_ptr self);          // the renewal timer: check, renew, re-arm
void front_check_fence(front_ptr self);    // revokes every lease past its deadline
void front_track_home(front_ptr self);     // monitors the current remote home front
bool front_home_down(front_ptr self, const caf::down_msg& dm);  // true: it was the home
// Takes a lease from its call (the call closes the stream at once; no release is sent).
void front_revoke(front_ptr self, std::map<uint64_t, pool_front_state::lease>::iterator i,
                  const char* why);
caf::result<pool_renewed> front_on_renew(front_ptr self, pool_renew& r);  // as the home

// pool_front_home.cpp
void front_send_adopt(front_ptr self);  // reports our leases to the remote home
void front_report_again(front_ptr self); // the home restarted its engine
void front_on_view(front_ptr self, pool_view& v);
void front_finish_rebuild(front_ptr self);
caf::result<pool_adopted> front_on_adopt(front_ptr self, pool_adopt& a);

// The home's dead-man switch: true when this home was stalled past cfg.stall_limit since
// its last pulse; it has then revoked its own calls' leases and its engine must restart
// (the caller applies the view again).
bool front_check_stall(front_ptr self);
// H8 for homes: whether an answer (grant or renewal) of `home` under home lease epoch
// `coord` may be used; records the highest seen. Below it: a home whose lease a later
// home took over. (The same home lower than before: the store lost its counter.)
bool front_claim_ok(front_ptr self, const std::string& home, uint64_t coord);
void front_pulse(front_ptr self);          // the pool_pulse_atom timer

// pool_front_handover.cpp: planned leave of a home
caf::result<bool> front_hand_over(front_ptr self);         // as the leaving home
void front_on_handover(front_ptr self, pool_handover& h);  // as its successor
// The table of a drained home that may still be live, for a new full engine (or null).
const pool_handover* front_live_handover(front_ptr self);

// pool_front_authority.cpp: the home lease (coordinator)
void front_want_home(front_ptr self, bool want);  // tells the coordinator when it changes
void front_on_coord_status(front_ptr self, coord_status& st);
void front_on_authority_check(front_ptr self);    // the pool_authority_atom timer
// Before anything is granted or renewed: a home lease that ran out (a process that was
// frozen past it, its timer not run yet) is applied first.
void front_check_authority(front_ptr self);

} // namespace sb
