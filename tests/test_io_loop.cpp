// The I/O thread's life cycle against the threads that hand it work: post() from actor
// threads while stop() runs on another. Meant for the ThreadSanitizer build as much as
// for the others: stop() once read the lws context under the mutex while the I/O thread,
// woken by a post, had already seen `stopping_`, left its loop and was destroying that
// context outside the mutex (a data race on `ctx_`, and lws_cancel_service on a context
// being freed).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "net/io/io_loop.hpp"

using namespace std::chrono_literals;

namespace {

sb::net::io_options loop_options() {
  sb::net::io_options o;
  o.listen = {"127.0.0.1", 0};
  o.max_calls = 10;
  o.spawn_call = [](const sb::call_spawn_info&) { return caf::actor{}; };
  return o;
}

} // namespace

TEST_CASE("io_loop: stop() while other threads post returns; nothing runs after it and later "
          "posts are refused") {
  // Posting threads keep the I/O thread waking, so it often sees `stopping_` and leaves
  // its loop before stop() has taken the mutex: the order in which the old code raced.
  constexpr int rounds = 100;
  for (int round = 0; round < rounds; ++round) {
    sb::net::io_loop loop(loop_options());
    std::string err;
    REQUIRE(loop.start(err));
    std::atomic<bool> go{true};
    std::atomic<int> accepted{0};
    std::atomic<int> ran{0};
    std::atomic<int> ran_after_stop{0};
    std::atomic<bool> stopped{false};
    std::vector<std::thread> posters;
    for (int t = 0; t < 2; ++t)
      posters.emplace_back([&] {
        while (go) {
          if (loop.post([&] {
                ran++;
                if (stopped)
                  ran_after_stop++;
              }))
            accepted++;
          std::this_thread::yield();
        }
      });
    // Let the posts flow before stopping (an event, not a time: the first ones ran).
    while (ran.load() < 20)
      std::this_thread::yield();
    loop.stop(0ms);
    stopped = true;
    // After stop() the loop refuses work: post() says so rather than queueing it.
    CHECK_FALSE(loop.post([] {}));
    go = false;
    for (auto& p : posters)
      p.join();
    CHECK(ran.load() <= accepted.load());
    CHECK(ran_after_stop.load() == 0);
  }
}

TEST_CASE("io_loop: stop() twice, and the destructor after it, return at once") {
  sb::net::io_loop loop(loop_options());
  std::string err;
  REQUIRE(loop.start(err));
  loop.stop(0ms);
  loop.stop(0ms);
  CHECK_FALSE(loop.post([] {}));
}
