#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <readline/history.h>
#include <readline/readline.h>

#include "actors/console/console_actor.hpp"
#include "runtime/console_client/console.hpp"
#include "runtime/console_client/console_render.hpp"
#include "runtime/console_client/console_session.hpp"

namespace sb::console_tool {

namespace {

using json = nlohmann::json;

std::atomic<bool> interrupted{false};

void on_sigint(int) {
  interrupted = true;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

struct runner {
  session& s;
  bool as_json;

  void print(const json& reply) {
    if (as_json)
      std::cout << reply.dump() << std::endl;
    else
      std::cout << render(reply) << std::flush;
  }

  bool fail(const std::string& line, const std::string& why) {
    if (as_json)
      std::cout << json{{"command", line}, {"error", why}}.dump() << std::endl;
    std::cerr << "error: " << line << ": " << why << std::endl;
    return false;
  }

  // `watch [COUNT]`: a summary every second, COUNT times (0 = until Ctrl-C).
  bool watch(const std::string& line, const std::vector<std::string>& w) {
    long count = 0;
    if (w.size() > 2)
      return fail(line, "usage: watch [COUNT]");
    if (w.size() == 2) {
      char* end = nullptr;
      count = std::strtol(w[1].c_str(), &end, 10);
      if (*end || count <= 0 || count > 1000000)
        return fail(line, "watch: COUNT must be a positive number, got '" + w[1] + "'");
    }
    interrupted = false;
    for (long i = 0; count == 0 || i < count; ++i) {
      if (i > 0)
        for (int t = 0; t < 10 && !interrupted; ++t)
          std::this_thread::sleep_for(std::chrono::milliseconds{100});
      if (interrupted)
        break;
      std::string body, err;
      if (!s.run("summary", body, err))
        return fail(line, err);
      auto j = json::parse(body, nullptr, false);
      if (!as_json)
        std::cout << "-- " << (i + 1) << (count ? "/" + std::to_string(count) : "") << "\n";
      print(j);
    }
    return true;
  }

  bool one(const std::string& raw) {
    auto line = trim(raw);
    auto w = console::words(line);
    if (w.empty())
      return true;
    if (w[0] == "help") {
      print(help_json());
      return true;
    }
    if (w[0] == "watch")
      return watch(line, w);
    if (w[0] == "summary")
      return fail(line, "unknown command 'summary' (try 'help')");
    std::string body, err;
    if (!s.run(line, body, err))
      return fail(line, err);
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded())
      return fail(line, "the node sent a reply that is not JSON");
    print(j);
    return true;
  }

  // "a; b; c": runs each, stops at the first failure.
  bool many(const std::string& commands) {
    size_t from = 0;
    while (from <= commands.size()) {
      auto to = commands.find(';', from);
      auto part = commands.substr(from, to == std::string::npos ? std::string::npos : to - from);
      if (!trim(part).empty() && !one(part))
        return false;
      if (to == std::string::npos)
        break;
      from = to + 1;
    }
    return true;
  }
};

int interactive(runner& r) {
  std::string history;
  if (const char* home = std::getenv("HOME"))
    history = std::string(home) + "/.switchboard_console_history";
  using_history();
  if (!history.empty())
    read_history(history.c_str());
  auto prompt = "switchboard " + r.s.node_name() + "> ";
  std::cout << "connected to " << r.s.node_name() << "; 'help' lists the commands\n";
  while (char* input = readline(prompt.c_str())) {
    std::string line = input;
    std::free(input);
    auto t = trim(line);
    if (t.empty())
      continue;
    add_history(t.c_str());
    if (t == "quit" || t == "exit")
      break;
    r.many(t);
  }
  if (!history.empty()) {
    write_history(history.c_str());
    history_truncate_file(history.c_str(), 1000);
  }
  return 0;
}

} // namespace

int run_console(console_args args) {
  if (!args.secret_given)
    if (const char* env = std::getenv("SWITCHBOARD_CLUSTER_SECRET"))
      args.secret = env;
  std::signal(SIGPIPE, SIG_IGN);
  session s;
  std::string err;
  if (!s.open(args, err)) {
    if (args.json)
      std::cout << json{{"error", err}}.dump() << std::endl;
    std::cerr << "error: " << err << std::endl;
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, nullptr);
  runner r{s, args.json};
  if (!args.exec.empty())
    return r.many(args.exec) ? 0 : 1;
  return interactive(r);
}

} // namespace sb::console_tool
