#include "net/redis/redis_home_store.hpp"

#include <cstdlib>

#include <hiredis/hiredis.h>

namespace sb {

namespace {

// KEYS: lease, counter; ARGV: owner, ttl ms. -> {held (1/0), epoch, holder, fresh (1/0)}
const char* claim_script = R"(
local v = redis.call('GET', KEYS[1])
if v then
  local sp = string.find(v, ' ', 1, true)
  local epoch, who = string.sub(v, 1, sp - 1), string.sub(v, sp + 1)
  if who == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, epoch, who, 0}
  end
  return {0, epoch, who, 0}
end
local e = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], e .. ' ' .. ARGV[1], 'NX', 'PX', ARGV[2])
return {1, tostring(e), ARGV[1], 1}
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

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string text_of(const redisReply* r) {
  if (!r)
    return "";
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
    return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER)
    return std::to_string(r->integer);
  return "";
}

} // namespace

redis_home_store::redis_home_store(std::string host, uint16_t port,
                                   std::chrono::milliseconds timeout)
  : host_(std::move(host)), port_(port), timeout_(timeout) {}

redis_home_store::~redis_home_store() {
  drop();
}

std::string redis_home_store::where() const {
  return "redis://" + host_ + ":" + std::to_string(port_);
}

void redis_home_store::drop() {
  if (ctx_)
    redisFree(ctx_);
  ctx_ = nullptr;
}

bool redis_home_store::connect(std::string& why) {
  if (ctx_)
    return true;
  ctx_ = redisConnectWithTimeout(host_.c_str(), port_, to_timeval(timeout_));
  if (!ctx_) {
    why = "cannot allocate a connection";
    return false;
  }
  if (ctx_->err) {
    why = std::string("cannot connect: ") + ctx_->errstr;
    drop();
    return false;
  }
  redisSetTimeout(ctx_, to_timeval(timeout_));
  return true;
}

home_claim redis_home_store::claim(const std::string& pool, const std::string& owner,
                                   std::chrono::milliseconds ttl) {
  home_claim out;
  if (!connect(out.reason))
    return out;
  auto lease = "switchboard:home:" + pool, counter = "switchboard:epoch:" + pool;
  auto ms = std::to_string(ttl.count());
  auto* r = static_cast<redisReply*>(redisCommand(ctx_, "EVAL %s 2 %s %s %s %s",
                                                  claim_script, lease.c_str(),
                                                  counter.c_str(), owner.c_str(), ms.c_str()));
  if (!r) {
    out.reason = std::string("no answer: ") + (ctx_->errstr[0] ? ctx_->errstr : "timeout");
    drop();
    return out;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    out.reason = "error: " + text_of(r);
  } else if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
    out.reason = "unexpected answer to the claim script";
  } else {
    bool held = r->element[0]->integer == 1;
    out.result = held ? home_claim::outcome::held : home_claim::outcome::taken;
    out.epoch = std::strtoull(text_of(r->element[1]).c_str(), nullptr, 10);
    out.holder = text_of(r->element[2]);
    out.fresh = r->element[3]->integer == 1;
  }
  freeReplyObject(r);
  return out;
}

bool redis_home_store::release(const std::string& pool, const std::string& owner) {
  std::string why;
  if (!connect(why))
    return false;
  auto lease = "switchboard:home:" + pool;
  auto* r = static_cast<redisReply*>(
    redisCommand(ctx_, "EVAL %s 1 %s %s", release_script, lease.c_str(), owner.c_str()));
  if (!r) {
    drop();
    return false;
  }
  bool ok = r->type == REDIS_REPLY_INTEGER;
  freeReplyObject(r);
  return ok;
}

} // namespace sb
