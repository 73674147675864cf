// Run-time settings of the provider simulator, filled from the command line.
#pragma once

#include <cstdint>
#include <string>

namespace sb::sim {

struct sim_config {
  std::string host = "127.0.0.1";
  int port = 9300;       // 0 = let the kernel pick
  std::string port_file; // written (tmp + rename) once listening

  // Concurrent streams allowed per API key; 0 = unlimited.
  unsigned stt_limit = 0;
  unsigned tts_limit = 0;    // ElevenLabs
  unsigned dg_tts_limit = 0; // Deepgram Aura
  unsigned llm_limit = 0;

  // Latencies in milliseconds.
  unsigned stt_final_latency_ms = 0;
  unsigned stt_idle_timeout_ms = 10000; // Deepgram NET-0001
  unsigned llm_first_token_ms = 0;
  unsigned llm_token_interval_ms = 0;
  unsigned tts_first_byte_ms = 0;
  unsigned tts_ms_per_char = 60;
  unsigned tts_chunk_ms = 100;

  unsigned release_lag_ms = 0;          // a closed stream still counts this long
  std::string tls_cert;                 // PEM: serve https:// and wss:// only
  std::string tls_key;

  double vad_threshold = 500; // RMS on the 16-bit scale
  bool require_key = true;
};

} // namespace sb::sim
