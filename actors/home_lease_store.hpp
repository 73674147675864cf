// Where a pool's home holds its epoch lease: an external store that decides which node
// may grant a pool's leases, one node at a time (docs/design/cluster-leases.md, rule H10).
// The coordinator actor (actors/coordinator_actor.hpp) calls it; net/redis implements it
// on Redis. Calls may block (up to the store's own timeout): the actor that makes them
// runs on its own thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sb {

struct home_claim {
  enum class outcome : uint8_t {
    held,         // `owner` holds it (taken now, or renewed) for the TTL from the call
    taken,        // another owner holds it (`holder`)
    unreachable,  // the store did not answer (`reason`)
  };
  outcome result = outcome::unreachable;
  uint64_t epoch = 0;    // the fencing counter of the holder's claim (grows per claim)
  bool fresh = false;    // held: taken by this call (not a renewal)
  bool handed = false;   // held: taken over from the claim named in take_over
  std::string holder;    // taken: who holds it
  std::string reason;    // unreachable: why
};

class home_lease_store {
public:
  virtual ~home_lease_store() = default;
  // Takes the home lease of `pool` for `owner` for `ttl` if nobody holds it, renews it if
  // `owner` does; otherwise says who does.
  virtual home_claim claim(const std::string& pool, const std::string& owner,
                           std::chrono::milliseconds ttl) = 0;
  // Takes over the claim of epoch `from_epoch` (whoever holds it: its holder handed it
  // to `owner`) with a new epoch, if that claim is still the current one (handed = true);
  // otherwise the same as claim().
  virtual home_claim take_over(const std::string& pool, const std::string& owner,
                               uint64_t from_epoch, std::chrono::milliseconds ttl) = 0;
  // Gives it up if `owner` holds it (the next home need not wait for it to expire).
  // False when the store did not answer.
  virtual bool release(const std::string& pool, const std::string& owner) = 0;
  // "redis://HOST:PORT" for logs.
  virtual std::string where() const = 0;
};

} // namespace sb
