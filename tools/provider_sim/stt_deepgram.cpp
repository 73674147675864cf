#include "tools/provider_sim/stt_deepgram.hpp"

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "net/codec/audio_codec.hpp"

namespace sb::sim {

namespace {

constexpr int64_t block_ms = 20;
constexpr int64_t interim_every_ms = 500;

std::optional<bool> parse_bool(const std::string& v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return std::nullopt;
}

std::optional<long> parse_int(const std::string& v) {
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::strtol(v.c_str(), nullptr, 10);
}

} // namespace

std::optional<stt_options> parse_stt_options(const query_map& q, std::string& error) {
  stt_options o;
  auto get = [&](const char* k) -> const std::string* {
    auto it = q.find(k);
    return it == q.end() ? nullptr : &it->second;
  };
  auto fail = [&](std::string msg) -> std::optional<stt_options> {
    error = std::move(msg);
    return std::nullopt;
  };
  const std::string* v = get("encoding");
  if (!v || (*v != "mulaw" && *v != "linear16"))
    return fail("Bad Request: encoding must be mulaw or linear16 for raw audio");
  o.encoding = *v == "mulaw" ? audio_encoding::mulaw : audio_encoding::pcm16le;
  v = get("sample_rate");
  auto rate = v ? parse_int(*v) : std::nullopt;
  if (!rate || *rate < 8000 || *rate % 50 != 0)
    return fail("Bad Request: sample_rate is required for raw audio (e.g. 8000)");
  o.sample_rate = unsigned(*rate);
  if ((v = get("channels")) && *v != "1")
    return fail("Bad Request: the simulator supports channels=1 only");
  for (auto [name, field] : {std::pair{"interim_results", &o.interim_results},
                             std::pair{"vad_events", &o.vad_events}}) {
    if (!(v = get(name))) continue;
    auto b = parse_bool(*v);
    if (!b) return fail(std::string("Bad Request: ") + name + " must be true or false");
    *field = *b;
  }
  if ((v = get("endpointing"))) {
    auto b = parse_bool(*v);
    auto ms = parse_int(*v);
    if (!b && !ms)
      return fail("Bad Request: endpointing must be a number of ms or false");
    o.endpointing_ms = b ? (*b ? 10 : -1) : int(*ms);
  }
  if ((v = get("utterance_end_ms"))) {
    auto ms = parse_int(*v);
    if (!ms || *ms < 1000)
      return fail("Bad Request: utterance_end_ms must be an integer >= 1000");
    o.utterance_end_ms = unsigned(*ms);
  }
  if ((v = get("model"))) o.model = *v;
  return o;
}

struct stt_stream::digest {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  digest() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~digest() { EVP_MD_CTX_free(ctx); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx, md, &n);
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < n; ++i) {
      s.push_back(digits[md[i] >> 4]);
      s.push_back(digits[md[i] & 15]);
    }
    return s;
  }
};

stt_stream::stt_stream(stt_options opts, stt_timing timing, std::string request_id,
                       fault_mode fault, int64_t now)
    : opts_(std::move(opts)), timing_(timing), request_id_(std::move(request_id)),
      hang_(fault == fault_mode::hang),
      block_bytes_(opts_.sample_rate / 50 *
                   (opts_.encoding == audio_encoding::mulaw ? 1 : 2)),
      sha_(std::make_unique<digest>()), last_activity_us_(now) {
  model_.name = opts_.model;
  if (fault == fault_mode::close) push_close(now, 1011, "NET-0000");
}

stt_stream::~stt_stream() = default;

ws_message stt_stream::pop() {
  ws_message m = std::move(out_.front());
  out_.pop_front();
  return m;
}

void stt_stream::on_audio(const uint8_t* data, size_t n, int64_t now) {
  if (hang_ || closing_) return;
  if (n == 0) { // an empty binary frame ends the stream, like CloseStream
    close_stream(now);
    return;
  }
  got_audio_ = true;
  last_activity_us_ = now;
  EVP_DigestUpdate(sha_->ctx, data, n);
  size_t i = 0;
  if (!partial_.empty()) {
    size_t take = std::min(n, block_bytes_ - partial_.size());
    partial_.append(reinterpret_cast<const char*>(data), take);
    i = take;
    if (partial_.size() < block_bytes_) return;
    process_block(reinterpret_cast<const uint8_t*>(partial_.data()), now);
    partial_.clear();
  }
  for (; i + block_bytes_ <= n && !closing_; i += block_bytes_)
    process_block(data + i, now);
  if (i < n) partial_.assign(reinterpret_cast<const char*>(data + i), n - i);
}

void stt_stream::on_text(std::string_view text, int64_t now) {
  if (hang_ || closing_) return;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") ||
      !j["type"].is_string()) {
    push_close(now, 1008, "DATA-0000");
    return;
  }
  const auto type = j["type"].get<std::string>();
  if (type == "KeepAlive") {
    if (got_audio_) // KeepAlive does not save a stream that never got audio
      last_activity_us_ = now;
  } else if (type == "Finalize") {
    flush(true, now);
  } else if (type == "CloseStream") {
    close_stream(now);
  }
}

void stt_stream::on_tick(int64_t now) {
  if (hang_ || closing_ || now - last_activity_us_ < timing_.idle_timeout_us) return;
  push_close(now, 1011, "NET-0001");
}

void stt_stream::drop(int64_t now) {
  if (closing_) return;
  out_.clear();
  push_close(now, 1011, "NET-0000");
}

void stt_stream::shutdown(int64_t now) {
  out_.clear();
  push_close(now, 1001, "server shutdown");
}

void stt_stream::process_block(const uint8_t* block, int64_t now) {
  const int64_t t0 = audio_ms_;
  audio_ms_ += block_ms;
  bool speech = codec::rms(block, block_bytes_, opts_.encoding) > timing_.vad_threshold;
  if (speech) {
    if (!in_utterance_) {
      in_utterance_ = true;
      speech_start_ms_ = t0;
      speech_since_interim_ms_ = 0;
      interims_ = 0;
      if (opts_.vad_events) push(now, speech_started_message(double(t0) / 1000.0));
    }
    utterance_end_armed_ = true;
    last_speech_end_ms_ = audio_ms_;
    speech_since_interim_ms_ += block_ms;
    if (opts_.interim_results && speech_since_interim_ms_ >= interim_every_ms) {
      speech_since_interim_ms_ = 0;
      emit_interim(now);
    }
    return;
  }
  const int64_t silence = audio_ms_ - last_speech_end_ms_;
  if (in_utterance_ && opts_.endpointing_ms >= 0 && silence >= opts_.endpointing_ms)
    emit_final(true, false, now + timing_.final_latency_us);
  if (utterance_end_armed_ && opts_.interim_results && opts_.utterance_end_ms > 0 &&
      silence >= int64_t(opts_.utterance_end_ms)) {
    if (in_utterance_) // endpointing off or longer than utterance_end_ms
      emit_final(false, false, now + timing_.final_latency_us);
    utterance_end_armed_ = false;
    push(now, utterance_end_message(double(last_speech_end_ms_) / 1000.0));
  }
}

std::vector<stt_word> stt_stream::words(size_t count, int64_t from_ms,
                                        int64_t to_ms) const {
  const std::string all[3] = {"caller", "utterance", std::to_string(utterances_ + 1)};
  std::vector<stt_word> out;
  double span = double(std::max<int64_t>(to_ms - from_ms, 3)) / 3.0 / 1000.0;
  double from = double(from_ms) / 1000.0;
  for (size_t i = 0; i < std::min<size_t>(count, 3); ++i)
    out.push_back({all[i], from + span * double(i), from + span * double(i + 1)});
  return out;
}

void stt_stream::emit_interim(int64_t now) {
  stt_result r;
  r.start = double(segment_start_ms_) / 1000.0;
  r.duration = double(audio_ms_ - segment_start_ms_) / 1000.0;
  r.words = words(++interims_, speech_start_ms_, audio_ms_);
  push(now, results_message(r, request_id_, model_));
}

void stt_stream::emit_final(bool speech_final, bool from_finalize, int64_t due) {
  stt_result r;
  r.start = double(segment_start_ms_) / 1000.0;
  r.duration = double(audio_ms_ - segment_start_ms_) / 1000.0;
  r.is_final = true;
  r.speech_final = speech_final;
  r.from_finalize = from_finalize;
  if (in_utterance_) {
    r.words = words(3, speech_start_ms_, last_speech_end_ms_);
    ++utterances_;
  }
  push(due, results_message(r, request_id_, model_));
  segment_start_ms_ = audio_ms_;
  in_utterance_ = false;
}

void stt_stream::flush(bool from_finalize, int64_t now) {
  if (in_utterance_ || from_finalize) emit_final(false, from_finalize, now);
}

void stt_stream::close_stream(int64_t now) {
  flush(false, now);
  push(now,
       metadata_message(request_id_, sha_->hex(), double(audio_ms_) / 1000.0, model_));
  push_close(now, 1000, "");
}

void stt_stream::push(int64_t due, std::string text) {
  ws_message m;
  m.due_us = due;
  m.text = std::move(text);
  out_.push_back(std::move(m));
}

void stt_stream::push_close(int64_t due, uint16_t code, std::string reason) {
  ws_message m;
  m.due_us = due;
  m.close_code = code;
  m.close_reason = std::move(reason);
  out_.push_back(std::move(m));
  closing_ = true;
}

} // namespace sb::sim
