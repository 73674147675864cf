#include "tools/provider_sim/stt_messages.hpp"

#include <cctype>
#include <ctime>

#include <nlohmann/json.hpp>

namespace sb::sim {

namespace {

using json = nlohmann::ordered_json;

constexpr double word_confidence = 0.98;
const char* const model_version = "2025-01-01.0";

// Seconds rounded to milliseconds, as Deepgram prints them.
double secs(double s) {
  return double(int64_t(s * 1000.0 + 0.5)) / 1000.0;
}

std::string capitalized(std::string w) {
  if (!w.empty())
    w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
  return w;
}

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[40];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return b;
}

} // namespace

std::string results_message(const stt_result& r, const std::string& request_id,
                            const stt_model& model) {
  std::string transcript;
  json words = json::array();
  for (size_t i = 0; i < r.words.size(); ++i) {
    const auto& w = r.words[i];
    transcript += (i ? " " : "") + w.word;
    std::string punctuated = i == 0 ? capitalized(w.word) : w.word;
    if (r.is_final && i + 1 == r.words.size()) punctuated += ".";
    words.push_back({{"word", w.word},
                     {"start", secs(w.start)},
                     {"end", secs(w.end)},
                     {"confidence", word_confidence},
                     {"punctuated_word", punctuated}});
  }
  json alt = {{"transcript", transcript},
              {"confidence", r.words.empty() ? 0.0 : word_confidence},
              {"words", std::move(words)}};
  json j = {{"type", "Results"},
            {"channel_index", {0, 1}},
            {"duration", secs(r.duration)},
            {"start", secs(r.start)},
            {"is_final", r.is_final},
            {"speech_final", r.speech_final},
            {"from_finalize", r.from_finalize},
            {"channel", {{"alternatives", json::array({std::move(alt)})}}},
            {"metadata",
             {{"request_id", request_id},
              {"model_info",
               {{"name", model.name}, {"version", model_version}, {"arch", "nova"}}},
              {"model_uuid", model.uuid}}}};
  return j.dump();
}

std::string speech_started_message(double timestamp) {
  return json{
      {"type", "SpeechStarted"}, {"channel", {0, 1}}, {"timestamp", secs(timestamp)}}
      .dump();
}

std::string utterance_end_message(double last_word_end) {
  return json{{"type", "UtteranceEnd"},
              {"channel", {0, 1}},
              {"last_word_end", secs(last_word_end)}}
      .dump();
}

std::string metadata_message(const std::string& request_id, const std::string& sha256_hex,
                             double duration, const stt_model& model) {
  json info = {{"name", model.name}, {"version", model_version}, {"arch", "nova"}};
  return json{{"type", "Metadata"},
              {"transaction_key", "deprecated"},
              {"request_id", request_id},
              {"sha256", sha256_hex},
              {"created", iso_now()},
              {"duration", secs(duration)},
              {"channels", 1},
              {"models", json::array({model.uuid})},
              {"model_info", {{model.uuid, std::move(info)}}}}
      .dump();
}

} // namespace sb::sim
