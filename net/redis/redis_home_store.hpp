// The home lease store on Redis (hiredis): per pool a key holding "EPOCH OWNER" with a
// PX expiry, taken only when absent (SET NX PX semantics) with EPOCH from an INCR
// counter (the fencing token), renewed by its owner (PEXPIRE), taken over from a drained holder by the epoch it
// handed over (a new EPOCH), each step one Lua script
// so that check and write are atomic. Keys: switchboard:home:POOL (the lease),
// switchboard:epoch:POOL (the counter). Blocking calls with connect and command timeouts; a broken
// connection is reopened on the next call.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "actors/home_lease_store.hpp"
#include "net/redis/redis_connection.hpp"

namespace sb {

class redis_home_store : public home_lease_store {
public:
  redis_home_store(std::string host, uint16_t port, std::chrono::milliseconds timeout);
  ~redis_home_store() override;
  home_claim claim(const std::string& pool, const std::string& owner,
                   std::chrono::milliseconds ttl) override;
  home_claim take_over(const std::string& pool, const std::string& owner,
                       uint64_t from_epoch, std::chrono::milliseconds ttl) override;
  bool release(const std::string& pool, const std::string& owner) override;
  std::string where() const override;

private:
  redis_connection conn_;
};

} // namespace sb
