#include "net/redis/redis_home_store.hpp"

#include <cstdlib>

#include <hiredis/hiredis.h>

namespace sb {

namespace {

// KEYS: lease, counter; ARGV: owner, ttl ms, the epoch to take over ("0": none).
// -> {held (1/0), epoch, holder, fresh (1/0), handed (1/0)}. The claim of epoch ARGV[3],
// whoever holds it, is taken over with a new epoch (its holder handed it to the owner);
// otherwise the lease is renewed by its owner, or taken when absent.
const char* claim_script = R"(
local v = redis.call('GET', KEYS[1])
if v then
  local sp = string.find(v, ' ', 1, true)
  local epoch, who = string.sub(v, 1, sp - 1), string.sub(v, sp + 1)
  if epoch == ARGV[3] and who ~= ARGV[1] then
    local e = redis.call('INCR', KEYS[2])
    redis.call('SET', KEYS[1], e .. ' ' .. ARGV[1], 'PX', ARGV[2])
    return {1, tostring(e), ARGV[1], 1, 1}
  end
  if who == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, epoch, who, 0, 0}
  end
  return {0, epoch, who, 0, 0}
end
local e = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], e .. ' ' .. ARGV[1], 'NX', 'PX', ARGV[2])
return {1, tostring(e), ARGV[1], 1, 0}
)";

// KEYS: lease; ARGV: owner. -> 1 when it was ours and is gone.
const char* release_script = R"(
local v = redis.call('GET', KEYS[1])
if v then
  local sp = string.find(v, ' ', 1, true)
  if string.sub(v, sp + 1) == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return 1
  end
end
return 0
)";

} // namespace

redis_home_store::redis_home_store(std::string host, uint16_t port,
                                   std::chrono::milliseconds timeout)
  : conn_(std::move(host), port, timeout) {}

redis_home_store::~redis_home_store() = default;

std::string redis_home_store::where() const {
  return conn_.where();
}

home_claim redis_home_store::claim(const std::string& pool, const std::string& owner,
                                   std::chrono::milliseconds ttl) {
  return take_over(pool, owner, 0, ttl);
}

home_claim redis_home_store::take_over(const std::string& pool, const std::string& owner,
                                       uint64_t from_epoch, std::chrono::milliseconds ttl) {
  home_claim out;
  auto* ctx = conn_.get(out.reason);
  if (!ctx)
    return out;
  auto lease = "switchboard:home:" + pool, counter = "switchboard:epoch:" + pool;
  auto ms = std::to_string(ttl.count()), from = std::to_string(from_epoch);
  auto* r = static_cast<redisReply*>(redisCommand(ctx, "EVAL %s 2 %s %s %s %s %s",
                                                  claim_script, lease.c_str(),
                                                  counter.c_str(), owner.c_str(), ms.c_str(),
                                                  from.c_str()));
  if (!r) {
    out.reason = "no answer: " + conn_.lost();
    return out;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    out.reason = "error: " + redis_connection::text_of(r);
  } else if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) {
    out.reason = "unexpected answer to the claim script";
  } else {
    bool held = r->element[0]->integer == 1;
    out.result = held ? home_claim::outcome::held : home_claim::outcome::taken;
    out.epoch = std::strtoull(redis_connection::text_of(r->element[1]).c_str(), nullptr, 10);
    out.holder = redis_connection::text_of(r->element[2]);
    out.fresh = r->element[3]->integer == 1;
    out.handed = r->element[4]->integer == 1;
  }
  freeReplyObject(r);
  return out;
}

bool redis_home_store::release(const std::string& pool, const std::string& owner) {
  std::string why;
  auto* ctx = conn_.get(why);
  if (!ctx)
    return false;
  auto lease = "switchboard:home:" + pool;
  auto* r = static_cast<redisReply*>(
    redisCommand(ctx, "EVAL %s 1 %s %s", release_script, lease.c_str(), owner.c_str()));
  if (!r) {
    conn_.lost();
    return false;
  }
  bool ok = r->type == REDIS_REPLY_INTEGER;
  freeReplyObject(r);
  return ok;
}

} // namespace sb
