// One blocking hiredis connection with connect and command timeouts, opened on first use
// and reopened on the next use after it broke (drop()). Not thread-safe: owned by one
// detached actor (the coordinator's home store, the session writer).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

struct redisContext;
struct redisReply;

namespace sb {

class redis_connection {
public:
  redis_connection(std::string host, uint16_t port, std::chrono::milliseconds timeout);
  ~redis_connection();
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  // The open connection, or null with `why`.
  redisContext* get(std::string& why);
  void drop();
  // Why the last command got no reply ("timeout" when hiredis says nothing); drops it.
  std::string lost();
  std::string where() const;  // redis://HOST:PORT

  // redis://HOST:PORT (HOST may be [IPv6]) into its parts; false when it is not one.
  static bool parse_url(const std::string& url, std::string& host, uint16_t& port);

  // A string, status or integer reply as text ("" otherwise).
  static std::string text_of(const redisReply* r);

private:
  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  redisContext* ctx_ = nullptr;
};

} // namespace sb
