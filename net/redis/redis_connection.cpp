#include "net/redis/redis_connection.hpp"

#include <hiredis/hiredis.h>

namespace sb {

namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

} // namespace

redis_connection::redis_connection(std::string host, uint16_t port,
                                   std::chrono::milliseconds timeout)
  : host_(std::move(host)), port_(port), timeout_(timeout) {}

redis_connection::~redis_connection() {
  drop();
}

std::string redis_connection::where() const {
  return "redis://" + host_ + ":" + std::to_string(port_);
}

void redis_connection::drop() {
  if (ctx_)
    redisFree(ctx_);
  ctx_ = nullptr;
}

redisContext* redis_connection::get(std::string& why) {
  if (ctx_)
    return ctx_;
  ctx_ = redisConnectWithTimeout(host_.c_str(), port_, to_timeval(timeout_));
  if (!ctx_) {
    why = "cannot allocate a connection";
    return nullptr;
  }
  if (ctx_->err) {
    why = std::string("cannot connect: ") + ctx_->errstr;
    drop();
    return nullptr;
  }
  redisSetTimeout(ctx_, to_timeval(timeout_));
  return ctx_;
}

std::string redis_connection::lost() {
  std::string why = ctx_ && ctx_->errstr[0] ? ctx_->errstr : "timeout";
  drop();
  return why;
}

bool redis_connection::parse_url(const std::string& url, std::string& host, uint16_t& port) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0)
    return false;
  auto hostport = url.substr(scheme.size());
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= hostport.size())
    return false;
  host = hostport.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  long p = 0;
  for (char c : hostport.substr(colon + 1)) {
    if (c < '0' || c > '9' || p > 65535)
      return false;
    p = p * 10 + (c - '0');
  }
  if (p < 1 || p > 65535)
    return false;
  port = static_cast<uint16_t>(p);
  return true;
}

std::string redis_connection::text_of(const redisReply* r) {
  if (!r)
    return "";
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
    return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER)
    return std::to_string(r->integer);
  return "";
}

} // namespace sb
