#include "runtime/offline_providers.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/dialog/dialog_engine.hpp"
#include "actors/offline/dialog_calls.hpp"
#include "actors/offline/espeak_actor.hpp"
#include "actors/offline/sphinx_stt_actor.hpp"
#include "messages/offline.hpp"
#include "net/codec/audio_codec.hpp"
#include "net/speech/pronunciations.hpp"
#include "net/speech/resampler.hpp"

namespace sb {

// Stream ids of the offline providers start here, far above the I/O thread's.
constexpr stream_id offline_ids = stream_id{1} << 48;

struct offline_service {
  caf::actor_system* sys = nullptr;
  bool stt = false, llm = false, tts = false;
  std::shared_ptr<dialog_calls> calls;
  speech::temp_file dictionary;
  speech::sphinx_model model;
  caf::actor espeak;
  std::shared_ptr<tts_ledger> ledger = std::make_shared<tts_ledger>();
  std::atomic<stream_id> next{offline_ids};
  std::mutex m;
  std::unordered_map<stream_id, caf::actor> recognisers;
};

namespace {

// What primes each recogniser (sphinx_model::prime), said by espeak-ng through a phone line.
constexpr const char* prime_text =
  "Thank you for calling. Please say what you need, one word at a time.";

std::vector<int16_t> phone_speech(speech::espeak_engine& engine, const std::string& text) {
  auto pcm = engine.synthesize(text);
  speech::resampler down(engine.sample_rate(), 8000, speech::resampler::quality::high);
  auto line = down.process(pcm.data(), pcm.size());
  auto rest = down.flush();
  line.insert(line.end(), rest.begin(), rest.end());
  for (auto& s : line)
    s = codec::mulaw_to_linear(codec::linear_to_mulaw(s));
  speech::resampler up(8000, 16000, speech::resampler::quality::quick);
  auto wide = up.process(line.data(), line.size());
  rest = up.flush();
  wide.insert(wide.end(), rest.begin(), rest.end());
  return wide;
}

class offline_port : public provider_port {
public:
  offline_port(std::shared_ptr<offline_service> s, std::shared_ptr<provider_port> net)
    : s_(std::move(s)), net_(std::move(net)) {}

  stream_id open_stt(caf::actor owner, audio_encoding enc, uint32_t key,
                     provider_route route) override {
    if (!s_->stt)
      return net_->open_stt(std::move(owner), enc, key, route);
    auto id = s_->next++;
    auto r = spawn_sphinx_stream(*s_->sys, {id, owner, enc, s_->model, s_->calls});
    std::lock_guard<std::mutex> g{s_->m};
    s_->recognisers[id] = r;
    return id;
  }
  void stt_audio(stream_id id, audio_bytes audio) override {
    if (id < offline_ids)
      return net_->stt_audio(id, std::move(audio));
    if (auto r = recogniser(id, false))
      caf::anon_send(r, std::move(audio));
  }
  void stt_finish(stream_id id) override {
    if (id < offline_ids)
      return net_->stt_finish(id);
    if (auto r = recogniser(id, true))
      caf::anon_send(r, stt_finish_atom_v);
  }
  stream_id start_llm(caf::actor owner, std::vector<chat_message> messages,
                      uint32_t key) override {
    if (!s_->llm)
      return net_->start_llm(std::move(owner), std::move(messages), key);
    auto id = s_->next++;
    std::string heard;
    for (auto it = messages.rbegin(); it != messages.rend(); ++it)
      if (it->role == "user") {
        heard = it->content;
        break;
      }
    auto t = s_->calls->answer(owner, heard);
    caf::anon_send(owner, llm_token{id, t.say});
    llm_done d;
    d.id = id;
    d.finish_reason = t.act == dialog::action::hangup    ? "hangup"
                      : t.act == dialog::action::handoff ? "handoff"
                                                         : "stop";
    caf::anon_send(owner, std::move(d));
    return id;
  }
  stream_id start_tts(caf::actor owner, std::string text, uint32_t key,
                      provider_route route) override {
    if (!s_->tts)
      return net_->start_tts(std::move(owner), std::move(text), key, route);
    auto id = s_->next++;
    s_->ledger->begin(id);
    caf::anon_send(s_->espeak, offline_tts_request{id, std::move(owner), std::move(text)});
    return id;
  }
  // espeak speaks a sentence at a time (the config requires transport = http).
  stream_id open_tts_stream(caf::actor owner, uint32_t key, provider_route route) override {
    return net_->open_tts_stream(std::move(owner), key, route);
  }
  void tts_stream_text(stream_id id, std::string text) override {
    net_->tts_stream_text(id, std::move(text));
  }
  void tts_stream_finish(stream_id id) override { net_->tts_stream_finish(id); }
  void cancel(stream_id id) override {
    if (id < offline_ids)
      return net_->cancel(id);
    if (auto r = recogniser(id, true)) {
      caf::anon_send(r, stream_cancel_atom_v);
      return;
    }
    s_->ledger->cancel(id);  // a TTS stream's end becomes provider_closed; an LLM's is over
  }

private:
  caf::actor recogniser(stream_id id, bool remove) {
    std::lock_guard<std::mutex> g{s_->m};
    auto it = s_->recognisers.find(id);
    if (it == s_->recognisers.end())
      return {};
    auto r = it->second;
    if (remove)
      s_->recognisers.erase(it);
    return r;
  }

  std::shared_ptr<offline_service> s_;
  std::shared_ptr<provider_port> net_;
};

// The edge may hand a call's audio straight to a network STT stream on the I/O thread;
// an offline recogniser is no I/O thread stream, so its audio keeps going through the
// call actor (one message a frame either way).
class offline_telephony : public telephony_port {
public:
  explicit offline_telephony(std::shared_ptr<telephony_port> net) : net_(std::move(net)) {}
  void play(session_id s, audio_bytes mulaw) override { net_->play(s, std::move(mulaw)); }
  void mark(session_id s, std::string name) override { net_->mark(s, std::move(name)); }
  void clear(session_id s) override { net_->clear(s); }
  void close(session_id s, uint16_t code, std::string reason) override {
    net_->close(s, code, std::move(reason));
  }
  void route_audio(session_id s, stream_id stt) override {
    if (stt < offline_ids)
      net_->route_audio(s, stt);
  }
  void open_route(session_id s) override { net_->open_route(s); }
  void unroute_audio(session_id s) override { net_->unroute_audio(s); }

private:
  std::shared_ptr<telephony_port> net_;
};

} // namespace

offline_providers::~offline_providers() { stop(); }

void offline_providers::stop() {
  if (svc_ && svc_->espeak) {
    caf::anon_send_exit(svc_->espeak, caf::exit_reason::user_shutdown);
    svc_->espeak = nullptr;
  }
}

bool offline_providers::offline(const std::string& stage) const {
  return svc_ && ((stage == "stt" && svc_->stt) || (stage == "llm" && svc_->llm) ||
                  (stage == "tts" && svc_->tts));
}

bool offline_providers::start(caf::actor_system& sys, const node_config& cfg,
                              std::string& error) {
  auto svc = std::make_shared<offline_service>();
  svc->sys = &sys;
  svc->stt = cfg.stt.provider == "sphinx";
  svc->llm = cfg.llm.provider == "scripted";
  svc->tts = cfg.tts.provider == "espeak";
  if (!svc->stt && !svc->llm && !svc->tts)
    return true;
  if (svc->llm) {
    std::vector<dialog::parse_error> errors;
    auto script = dialog::load_script(cfg.llm.dialog, errors);
    if (!script) {
      for (auto& e : errors)
        error += (error.empty() ? "" : "\n") + e.text();
      return false;
    }
    svc->calls =
      std::make_shared<dialog_calls>(std::make_shared<const dialog::script>(std::move(*script)));
  }
  // The synthesiser: the TTS provider, and the voice that primes each recogniser.
  std::unique_ptr<speech::espeak_engine> engine;
  if (svc->tts || svc->stt) {
    engine = std::make_unique<speech::espeak_engine>();
    speech::espeak_options o;
    o.voice = cfg.tts.espeak_voice;
    o.rate = static_cast<int>(cfg.tts.espeak_rate);
    std::string err;
    if (!engine->open(o, err)) {
      error = (svc->tts ? "[tts] espeak_voice: " : "[stt] sphinx (its priming voice): ") + err;
      return false;
    }
  }
  if (svc->stt) {
    auto& script = svc->calls->script();
    auto words = speech::select_words(cfg.stt.dictionary, script.words());
    if (!words.error.empty()) {
      error = "[stt] dictionary: " + words.error;
      return false;
    }
    if (!words.missing.empty()) {
      // Each missing word at the first line that uses it.
      for (auto& w : words.missing) {
        int line = 0;
        for (auto& st : script.states) {
          auto uses = [&](const dialog::phrase_set& p) {
            for (auto& ph : p.phrases)
              if ((" " + ph + " ").find(" " + w + " ") != std::string::npos)
                return true;
            return false;
          };
          for (auto& p : st.on)
            if (!line && uses(p))
              line = p.line;
        }
        error += (error.empty() ? "" : "\n") + script.file + ":" + std::to_string(line) +
                 ": the word '" + w + "' is not in the dictionary " + cfg.stt.dictionary +
                 " (the recogniser cannot hear it)";
      }
      return false;
    }
    std::string err;
    if (!svc->dictionary.write(words.text, err)) {
      error = "[stt] dictionary: " + err;
      return false;
    }
    svc->model.hmm = cfg.stt.acoustic_model;
    svc->model.prime = phone_speech(*engine, prime_text);
    svc->model.dict = svc->dictionary.path();
    for (size_t i = 0; i < script.states.size(); ++i)
      if (script.states[i].act == dialog::action::none)
        svc->model.grammars.emplace_back(grammar_name(i), dialog::grammar(script, i));
    // The start state's grammar first: a new decoder listens with it.
    for (auto& g : svc->model.grammars)
      if (g.first == grammar_name(script.start_index))
        std::swap(g, svc->model.grammars.front());
    speech::sphinx_decoder probe;  // the model and every grammar load, or the node stops
    if (!probe.open(svc->model, err)) {
      error = "[stt] sphinx: " + err;
      return false;
    }
  }
  if (svc->tts)
    svc->espeak = spawn_espeak(sys, std::move(engine), svc->ledger);
  spdlog::info("offline providers:{}{}{}", svc->stt ? " stt=sphinx" : "",
               svc->llm ? " llm=scripted (" + cfg.llm.dialog + ")" : "",
               svc->tts ? " tts=espeak" : "");
  svc_ = std::move(svc);
  return true;
}

std::string offline_providers::greeting() const {
  if (!svc_ || !svc_->calls)
    return "";
  auto& s = svc_->calls->script();
  return dialog::prompt(s, dialog::begin(s));
}

std::shared_ptr<provider_port> offline_providers::providers(std::shared_ptr<provider_port> net) {
  if (!svc_)
    return net;
  if (!providers_)
    providers_ = std::make_shared<offline_port>(svc_, std::move(net));
  return providers_;
}

std::shared_ptr<telephony_port> offline_providers::telephony(std::shared_ptr<telephony_port> net) {
  if (!svc_ || !svc_->stt)
    return net;
  if (!telephony_)
    telephony_ = std::make_shared<offline_telephony>(std::move(net));
  return telephony_;
}

} // namespace sb
