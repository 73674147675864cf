// JSON text frames of Deepgram live transcription (protocols.md section 3).
#pragma once

#include <string>
#include <vector>

namespace sb::sim {

struct stt_word {
  std::string word;
  double start = 0;
  double end = 0;
};

struct stt_result {
  double start = 0;    // seconds of audio
  double duration = 0; // seconds of audio
  bool is_final = false;
  bool speech_final = false;
  bool from_finalize = false;
  std::vector<stt_word> words; // transcript = words joined by spaces
};

struct stt_model {
  std::string name = "nova-3";
  std::string uuid = "5b0c0000-0000-4000-8000-00000000de11";
};

std::string results_message(const stt_result& r, const std::string& request_id,
                            const stt_model& model);
std::string speech_started_message(double timestamp);
std::string utterance_end_message(double last_word_end);
std::string metadata_message(const std::string& request_id, const std::string& sha256_hex,
                             double duration, const stt_model& model);

} // namespace sb::sim
