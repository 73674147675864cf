#include "tests/support/postgres_server.hpp"

#include <glob.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tests/support/wait.hpp"

namespace sb::test {

namespace {

// The bin directory of the newest installed server ("15" < "16", compared as numbers).
std::string server_bin_dir() {
  glob_t g{};
  std::vector<std::string> dirs;
  if (glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i)
      if (access(g.gl_pathv[i], X_OK) == 0)
        dirs.push_back(std::filesystem::path(g.gl_pathv[i]).parent_path().string());
  globfree(&g);
  auto version = [](const std::string& d) {
    return std::atof(std::filesystem::path(d).parent_path().filename().c_str());
  };
  std::sort(dirs.begin(), dirs.end(),
            [&](auto& a, auto& b) { return version(a) < version(b); });
  if (dirs.empty() || access((dirs.back() + "/initdb").c_str(), X_OK) != 0)
    throw std::runtime_error("no PostgreSQL server under /usr/lib/postgresql/*/bin "
                             "(scripts/setup.sh installs Debian's postgresql)");
  return dirs.back();
}

// What runs the server's programs: as they are, or as nobody when we are root.
std::vector<std::string> as_unprivileged(const std::string& dir) {
  if (geteuid() != 0)
    return {};
  const passwd* pw = getpwnam("nobody");
  if (!pw || access("/usr/bin/setpriv", X_OK) != 0)
    throw std::runtime_error("running as root, and no user 'nobody' or /usr/bin/setpriv "
                             "to run PostgreSQL as (it refuses root)");
  // initdb makes DIR/data and the server its socket in DIR.
  if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    throw std::runtime_error("cannot give " + dir + " to nobody");
  return {"/usr/bin/setpriv", "--reuid=" + std::to_string(pw->pw_uid),
          "--regid=" + std::to_string(pw->pw_gid), "--clear-groups", "--"};
}

std::vector<std::string> command(const std::vector<std::string>& prefix,
                                 std::vector<std::string> argv) {
  argv.insert(argv.begin(), prefix.begin(), prefix.end());
  return argv;
}

} // namespace

postgres_server::postgres_server(const std::string& d) : dir(d) {
  const auto bin = server_bin_dir();
  std::ofstream(dir + "/pwfile") << password << "\n";
  const auto prefix = as_unprivileged(dir);
  child initdb(command(prefix, {bin + "/initdb", "-D", dir + "/data", "-U", "sb",
                                "--auth-local=trust", "--auth-host=scram-sha-256",
                                "--pwfile=" + dir + "/pwfile", "--no-sync", "-E", "UTF8",
                                "--locale=C"}),
               dir + "/initdb.log");
  if (initdb.wait_exit(std::chrono::seconds{120}) != 0)
    throw std::runtime_error("initdb failed; see " + dir + "/initdb.log");
  // The port is free when picked; another process may take it before the server binds
  // it: then the server exits and another port is tried.
  for (int attempt = 0; attempt < 5 && !proc.running(); ++attempt) {
    port = free_loopback_port();
    restart();
  }
  if (!proc.running())
    throw std::runtime_error("postgres did not start; see " + dir + "/postgres.log");
  pg_query(uri(true, "postgres"), "CREATE DATABASE switchboard");
}

postgres_server::~postgres_server() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir + "/data", ec);
}

void postgres_server::restart() {
  const auto bin = server_bin_dir();
  proc = child(command(as_unprivileged(dir),
                       {bin + "/postgres", "-D", dir + "/data", "-k", dir, "-p",
                        std::to_string(port), "-c", "listen_addresses=127.0.0.1", "-c",
                        "fsync=off"}),
               dir + "/postgres.log");
  // Asked through its socket in DIR: only this server answers there (a server of
  // another test that took the port in between would answer on 127.0.0.1).
  const auto ping = "host=" + dir + " port=" + std::to_string(port) +
                    " dbname=postgres connect_timeout=2";
  wait_until([&] { return !proc.running() || PQping(ping.c_str()) == PQPING_OK; },
             std::chrono::seconds{60});
}

void postgres_server::stop() {
  proc.stop(SIGINT, std::chrono::seconds{30});
}

std::string postgres_server::uri(bool with_password, const std::string& db) const {
  return "postgresql://sb" + (with_password ? ":" + password : std::string{}) +
         "@127.0.0.1:" + std::to_string(port) + "/" + db;
}

std::vector<std::map<std::string, std::string>> pg_query(const std::string& uri,
                                                         const std::string& sql) {
  PGconn* c = PQconnectdb(uri.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string e = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("cannot connect to the test server: " + e);
  }
  PGresult* r = PQexec(c, sql.c_str());
  auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    std::string e = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    throw std::runtime_error(sql + ": " + e);
  }
  std::vector<std::map<std::string, std::string>> rows;
  for (int i = 0; i < PQntuples(r); ++i) {
    auto& row = rows.emplace_back();
    for (int j = 0; j < PQnfields(r); ++j)
      row[PQfname(r, j)] = PQgetvalue(r, i, j);
  }
  PQclear(r);
  PQfinish(c);
  return rows;
}

} // namespace sb::test
