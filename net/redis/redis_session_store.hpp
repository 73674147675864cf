// The session backend on Redis (sessions.backend = redis://HOST:PORT): one key per call,
// switchboard:session:CALL_ID, holding the snapshot's JSON (net/codec/session_json.hpp)
// with a PX expiry. A batch is one pipeline: SET ... PX for each snapshot, DEL for each
// call that is over, PEXPIRE for each live call refreshed. Blocking, with connect and
// command timeouts; a broken connection is reopened on the next call.
#pragma once

#include <chrono>
#include <string>

#include "messages/session.hpp"
#include "net/redis/redis_connection.hpp"

namespace sb {

class redis_session_store : public session_backend {
public:
  redis_session_store(std::string host, uint16_t port, std::chrono::milliseconds timeout);
  std::optional<std::string> write(const session_batch& b, std::chrono::milliseconds ttl) override;
  session_snapshot get(const std::string& call_id, std::string& error) override;
  std::string describe() const override { return conn_.where(); }

  static std::string key_of(const std::string& call_id) {
    return "switchboard:session:" + call_id;
  }

private:
  redis_connection conn_;
};

} // namespace sb
