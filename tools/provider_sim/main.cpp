// switchboard-provider-sim: a loopback server speaking the Deepgram (live STT, Aura TTS),
// ElevenLabs (streaming TTS) and OpenAI (chat completions) wire protocols, with per-key
// concurrency limits, fault injection and /sim/stats, for tests and load runs.

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/provider_sim/server.hpp"

#ifndef SB_VERSION
#define SB_VERSION "0.0.0"
#endif

namespace {

using sb::sim::sim_config;

// "HOST:PORT" -> cfg.host / cfg.port; an error text on failure.
std::string parse_listen(const std::string& text, sim_config& cfg) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return "--listen must be HOST:PORT, got '" + text + "'";
  std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    return "--listen port must be 0..65535, got '" + port + "'";
  cfg.host = text.substr(0, colon);
  cfg.port = std::stoi(port);
  return {};
}

bool write_port_file(const std::string& path, int port) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port;
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

struct fault_flags {
  std::vector<std::string> targets;
  std::string mode = "http500";
};

void add_options(CLI::App& app, sim_config& cfg, std::string& listen,
                 fault_flags& faults) {
  app.set_version_flag("--version", SB_VERSION);
  app.add_option("--listen", listen, "HOST:PORT to listen on; port 0 = any free port")
      ->capture_default_str();
  app.add_option("--port-file", cfg.port_file, "also write the bound port to this file");
  auto limit = [&](const char* name, unsigned& v, const char* what) {
    app.add_option(name, v, std::string(what) + " per API key (0 = unlimited)")
        ->capture_default_str();
  };
  limit("--stt-limit", cfg.stt_limit, "concurrent Deepgram STT streams");
  limit("--tts-limit", cfg.tts_limit, "concurrent ElevenLabs TTS streams");
  limit("--dg-tts-limit", cfg.dg_tts_limit, "concurrent Deepgram TTS requests");
  limit("--llm-limit", cfg.llm_limit, "concurrent OpenAI chat requests");
  auto ms = [&](const char* name, unsigned& v, const char* what) {
    return app.add_option(name, v, std::string(what) + " (ms)")->capture_default_str();
  };
  ms("--stt-final-latency", cfg.stt_final_latency_ms,
     "delay from endpoint to final result");
  ms("--stt-idle-timeout", cfg.stt_idle_timeout_ms,
     "close an STT stream without audio after this long (1011 NET-0001)")
      ->check(CLI::Range(1u, 3600000u));
  ms("--release-lag", cfg.release_lag_ms,
     "a closed STT or TTS stream still counts against its key's limit this long, as a "
     "real provider's count lags behind its sockets");
  ms("--llm-first-token", cfg.llm_first_token_ms, "delay before the first LLM token");
  ms("--llm-token-interval", cfg.llm_token_interval_ms, "delay between LLM tokens");
  ms("--tts-first-byte", cfg.tts_first_byte_ms, "delay before the first TTS audio chunk");
  ms("--tts-ms-per-char", cfg.tts_ms_per_char, "TTS audio duration per input character");
  ms("--tts-chunk-ms", cfg.tts_chunk_ms, "TTS audio per HTTP chunk")
      ->check(CLI::Range(1u, 60000u));
  app.add_option(
         "--vad-threshold", cfg.vad_threshold,
         "STT energy VAD: RMS on the 16-bit scale above which a 20 ms block is speech")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  auto cert = app.add_option("--tls-cert", cfg.tls_cert,
                             "serve TLS (https://, wss://) with this PEM certificate chain")
                  ->check(CLI::ExistingFile);
  app.add_option("--tls-key", cfg.tls_key, "the PEM private key of --tls-cert")
      ->check(CLI::ExistingFile)
      ->needs(cert);
  cert->needs("--tls-key");
  app.add_flag("--require-key,!--no-require-key", cfg.require_key,
               "reject requests without an API key with 401 (default on; "
               "--require-key=false or --no-require-key to turn off)");
  auto fail =
      app.add_option("--fail", faults.targets, "inject faults into stt|llm|tts|all")
          ->check(CLI::IsMember({"stt", "llm", "tts", "all"}));
  app.add_option("--fail-mode", faults.mode, "http500|http429|close|hang")
      ->check(CLI::IsMember({"http500", "http429", "close", "hang"}))
      ->needs(fail)
      ->capture_default_str();
}

} // namespace

int main(int argc, char** argv) {
  sim_config cfg;
  std::string listen = "127.0.0.1:9300";
  fault_flags faults;
  CLI::App app{"switchboard-provider-sim: simulated Deepgram / ElevenLabs / OpenAI APIs",
               "switchboard-provider-sim"};
  add_options(app, cfg, listen, faults);
  try {
    app.parse(argc, argv);
    if (auto err = parse_listen(listen, cfg); !err.empty())
      throw CLI::ValidationError("--listen", err);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2; // --help / --version: 0; usage errors: 2
  }

  raise_fd_limit();
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  sb::sim::sim_server server(cfg);
  std::string error;
  if (!server.start(error)) {
    std::fprintf(stderr, "switchboard-provider-sim: %s\n", error.c_str());
    return 1;
  }
  for (const auto& t : faults.targets)
    server.set_fault(t, faults.mode);
  if (!cfg.port_file.empty() && !write_port_file(cfg.port_file, server.port())) {
    std::fprintf(stderr, "switchboard-provider-sim: cannot write %s\n",
                 cfg.port_file.c_str());
    return 1;
  }
  std::printf("listening on %s:%d\n", cfg.host.c_str(), server.port());
  std::fflush(stdout);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.request_stop();
  });
  server.run();
  if (!server.stop_requested()) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return 0;
}
