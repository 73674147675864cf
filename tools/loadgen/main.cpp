// switchboard-loadgen: simulated callers against a node; prints a JSON summary.
#include <fstream>
#include <iterator>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tools/caller/caller_engine.hpp"

namespace {

sb::caller::engine* running = nullptr;

void on_signal(int) {
  if (running)
    running->request_stop();
}

double percentile(std::vector<double> v, double q) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

nlohmann::json summarize(const sb::caller::engine& e, double seconds) {
  std::vector<double> lat, barge;
  int connected = 0, finished = 0, answered = 0, failed_turns = 0, spoken = 0;
  uint64_t frames = 0, gaps = 0, clears = 0, stale = 0, marks_out_of_order = 0;
  double max_buffered_ms = 0;
  std::map<std::string, int> refused, closed, failures;
  for (auto& r : e.results()) {
    connected += r.connected;
    finished += r.finished;
    spoken += r.turns_spoken;
    answered += r.turns_answered;
    failed_turns += r.turns_failed;
    frames += r.media_frames;
    gaps += r.gaps;
    clears += r.clears;
    stale += r.stale_frames;
    marks_out_of_order += r.marks_out_of_order;
    max_buffered_ms = std::max(max_buffered_ms, r.max_buffered_ms);
    lat.insert(lat.end(), r.latency_ms.begin(), r.latency_ms.end());
    barge.insert(barge.end(), r.barge_in_ms.begin(), r.barge_in_ms.end());
    if (!r.connected)
      ++refused[r.refused_status ? std::to_string(r.refused_status) : r.connect_error];
    if (r.close_code)
      ++closed[std::to_string(r.close_code) + " " + r.close_reason];
    if (!r.connected)
      ++failures[r.refused_status ? "refused " + std::to_string(r.refused_status)
                                  : "connect: " + r.connect_error];
    else if (r.close_code != 0 && r.close_code != 1000)
      ++failures["closed " + std::to_string(r.close_code) + " " + r.close_reason];
    else if (r.turns_failed > 0)
      ++failures["turn without reply"];
  }
  auto lags = e.stats().lags();
  return {{"calls", e.results().size()},
          {"connected", connected},
          {"finished", finished},
          {"refused", refused},
          {"closed_by_node", closed},
          {"turns", {{"spoken", spoken}, {"answered", answered}, {"failed", failed_turns}}},
          {"latency_ms",
           {{"count", lat.size()},
            {"p50", percentile(lat, 0.5)},
            {"p90", percentile(lat, 0.9)},
            {"p99", percentile(lat, 0.99)},
            {"max", lat.empty() ? 0.0 : *std::max_element(lat.begin(), lat.end())}}},
          {"reply_frames", frames},
          {"gaps", gaps},
          {"clears", clears},
          {"barge_in_ms",
           {{"count", barge.size()},
            {"p50", percentile(barge, 0.5)},
            {"p90", percentile(barge, 0.9)},
            {"max", barge.empty() ? 0.0 : *std::max_element(barge.begin(), barge.end())}}},
          {"stale_frames_after_clear", stale},
          {"marks_out_of_order", marks_out_of_order},
          {"max_reply_buffered_ms", max_buffered_ms},
          {"failed_calls", e.stats().failed.load()},
          {"failures", failures},
          {"max_tick_lag_ms", static_cast<double>(e.stats().max_tick_lag_us) / 1000.0},
          {"tick_lag_ms",
           {{"p50", percentile(lags, 0.5)}, {"p99", percentile(lags, 0.99)},
            {"max", lags.empty() ? 0.0 : *std::max_element(lags.begin(), lags.end())}}},
          {"seconds", seconds}};
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"switchboard-loadgen: simulated phone callers over real WebSockets"};
  app.set_version_flag("--version", std::string("switchboard-loadgen ") + SB_VERSION);
  std::string target = "127.0.0.1:8080";
  std::string dialect = "twilio";
  unsigned calls = 1, turns = 2, speech_ms = 600, pause_ms = 300, ramp_ms = 10;
  unsigned duration_s = 600;
  unsigned reply_timeout_ms = 15000;
  unsigned concurrency = 0;
  bool barge_in = false, progress = isatty(STDERR_FILENO) != 0, listen_first = false;
  std::vector<std::string> say_files;
  app.add_option("--target", target, "Node HOST:PORT")->capture_default_str();
  app.add_option("--dialect", dialect, "twilio | exotel")
    ->check(CLI::IsMember({"twilio", "exotel"}))
    ->capture_default_str();
  app.add_option("--calls", calls, "Calls to place")->check(CLI::Range(1u, 100000u))
    ->capture_default_str();
  app.add_option("--ramp-ms", ramp_ms, "Delay between call starts (ms)")->capture_default_str();
  app.add_option("--concurrency", concurrency,
                 "At most this many calls at once; later calls wait for a place (0 = no limit)")
    ->capture_default_str();
  app.add_option("--turns", turns, "Utterances per call")->check(CLI::Range(1u, 1000u))
    ->capture_default_str();
  app.add_option("--speech-ms", speech_ms, "Length of each utterance (ms)")
    ->check(CLI::Range(20u, 60000u))->capture_default_str();
  app.add_option("--pause-ms", pause_ms, "Pause after each reply (ms)")->capture_default_str();
  app.add_option("--max-duration-s", duration_s, "Hang up each call after this")
    ->capture_default_str();
  app.add_option("--reply-timeout-ms", reply_timeout_ms,
                 "A turn with no reply audio within this counts as failed (ms)")
    ->check(CLI::Range(100u, 3600000u))->capture_default_str();
  app.add_flag("--barge-in", barge_in, "Speak again 200 ms into every reply");
  app.add_option("--say", say_files,
                 "Speak this recorded utterance (raw mu-law 8 kHz) instead of a tone burst; "
                 "repeat for each turn (--turns is then their number)")
    ->check(CLI::ExistingFile);
  app.add_flag("--listen-first", listen_first,
               "Wait for the node's greeting before the first turn (it counts as a reply)");
  app.add_flag("--progress,!--no-progress", progress,
               "Live progress line on stderr (default: when stderr is a terminal)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto colon = target.rfind(':');
  int port = colon == std::string::npos ? 0 : std::atoi(target.c_str() + colon + 1);
  if (port <= 0 || port > 65535) {
    std::cerr << "--target: expected HOST:PORT, got '" << target << "'\n";
    return 2;
  }
  std::vector<sb::audio_bytes> utterances;
  for (auto& f : say_files) {
    std::ifstream in(f, std::ios::binary);
    utterances.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  sb::caller::engine e(target.substr(0, colon), static_cast<uint16_t>(port));
  for (unsigned i = 0; i < calls; ++i) {
    sb::caller::script s;
    s.kind = dialect == "exotel" ? sb::dialect::exotel : sb::dialect::twilio;
    s.turns = static_cast<int>(turns);
    s.speech = std::chrono::milliseconds{speech_ms};
    s.pause = std::chrono::milliseconds{pause_ms};
    s.barge_in = barge_in;
    s.reply_timeout = std::chrono::milliseconds{reply_timeout_ms};
    s.max_duration = std::chrono::seconds{duration_s};
    s.utterances = utterances;
    s.listen_first = listen_first;
    e.add(s, std::chrono::milliseconds{static_cast<int64_t>(i) * ramp_ms});
  }
  e.set_concurrency(static_cast<int>(concurrency));
  running = &e;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto t0 = std::chrono::steady_clock::now();
  std::atomic<bool> done{false};
  std::thread ticker([&] {
    while (progress && !done) {
      std::this_thread::sleep_for(std::chrono::seconds{1});
      auto lat = e.stats().latencies();
      std::fprintf(stderr,
                   "\ractive %d  done %d/%u  failed %d  turn p50 %.1f ms p99 %.1f ms  "
                   "timer lag max %.1f ms   ",
                   e.stats().active.load(), e.stats().done.load(), calls,
                   e.stats().failed.load(), percentile(lat, 0.5), percentile(lat, 0.99),
                   static_cast<double>(e.stats().max_tick_lag_us) / 1000.0);
    }
  });
  bool ok = e.run(std::chrono::seconds{duration_s + 60});
  done = true;
  ticker.join();
  if (progress)
    std::fprintf(stderr, "\n");
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << summarize(e, secs).dump(2) << std::endl;
  return ok ? 0 : 1;
}
