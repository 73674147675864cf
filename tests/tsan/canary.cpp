// The TSan phase's own check that it can see (built only with -DSB_SANITIZE=thread).
//   canary handover   messages full of heap data between actors on CAF's worker threads:
//                     no report, which holds only when CAF itself is instrumented (against
//                     Debian's libcaf every hand-over is reported as a race);
//   canary race       an actor and the main thread write one int with nothing ordering
//                     them: TSan must report it, whichever thread writes first.
// A TSan phase that passes the suite but fails either of these proves nothing.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <caf/all.hpp>

namespace {

int shared_counter = 0;  // written unsynchronised by `race`, on purpose

// Sums the lengths of the strings it receives; answers the total.
caf::behavior summer(caf::event_based_actor*) {
  auto total = std::make_shared<size_t>(0);
  return {
    [total](const std::vector<std::string>& words) {
      for (auto& w : words)
        *total += w.size();
      return *total;
    },
  };
}

int handover(caf::actor_system& sys) {
  auto s = sys.spawn(summer);
  caf::scoped_actor self{sys};
  size_t expected = 0;
  size_t got = 0;
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::string> words;
    for (int j = 0; j < 4; ++j)
      words.push_back(std::string(20 + (i + j) % 50, 'a' + j));
    for (auto& w : words)
      expected += w.size();
    self->request(s, caf::infinite, std::move(words))
      .receive([&](size_t total) { got = total; },
               [&](caf::error& e) { std::fprintf(stderr, "error: %s\n", to_string(e).c_str()); });
  }
  self->send_exit(s, caf::exit_reason::user_shutdown);
  if (got != expected) {
    std::fprintf(stderr, "summer answered %zu, expected %zu\n", got, expected);
    return 1;
  }
  std::printf("handover: 2000 requests answered, total %zu\n", got);
  return 0;
}

int race(caf::actor_system& sys) {
  auto w = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](int v) { shared_counter += v; }};
  });
  caf::anon_send(w, 1);   // the send orders nothing after it on this thread
  shared_counter += 2;    // races with the actor's write
  caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  std::printf("race: counter %d\n", shared_counter);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2 || (std::strcmp(argv[1], "handover") != 0 && std::strcmp(argv[1], "race") != 0)) {
    std::fprintf(stderr, "usage: %s handover|race\n", argv[0]);
    return 2;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  return std::strcmp(argv[1], "handover") == 0 ? handover(sys) : race(sys);
}
