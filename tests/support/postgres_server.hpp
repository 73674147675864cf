// Integration-test helper: a throwaway PostgreSQL server from Debian's packages (the
// newest /usr/lib/postgresql/*/bin), initdb'd into DIR/data, listening on a free loopback
// port (and a socket in DIR), logging to DIR/postgres.log; stopped by pid. Its superuser
// "sb" needs `password` over TCP (scram-sha-256); the database "switchboard" is created.
// initdb and postgres refuse to run as root: as root (CI), both run as "nobody"
// (setpriv) and DIR is given to that user. No server binaries: the constructor throws,
// so a test fails rather than skips (scripts/setup.sh installs them).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/support/processes.hpp"

namespace sb::test {

struct postgres_server {
  child proc;
  uint16_t port = 0;
  std::string dir;
  std::string password = "Pg7test9Secret";
  explicit postgres_server(const std::string& dir);
  ~postgres_server();  // stops it and removes DIR/data (the log stays)
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;
  // Starts it again on the same port, with the same data (after stop()).
  void restart();
  // A fast shutdown (SIGINT): open connections are cut; waits for the exit.
  void stop();
  // postgresql://sb[:PASSWORD]@127.0.0.1:PORT/DB
  std::string uri(bool with_password = true, const std::string& db = "switchboard") const;
};

// The rows `sql` returns on `uri`, each column by name as text (NULL as ""); throws
// std::runtime_error with the server's message when it fails.
std::vector<std::map<std::string, std::string>> pg_query(const std::string& uri,
                                                         const std::string& sql);

} // namespace sb::test
