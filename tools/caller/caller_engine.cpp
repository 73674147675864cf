#include "tools/caller/caller_engine.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>

#include <libwebsockets.h>
#include <nlohmann/json.hpp>

#include "net/codec/audio_codec.hpp"
#include "net/lws/event_loop.hpp"

namespace sb::caller {

namespace {

using clock = std::chrono::steady_clock;
using json = nlohmann::json;
constexpr auto frame_period = millis{20};

// Where a mark's name puts it in a call: "turn-N.K" (after sentence K of reply N) before
// "turn-N" (after the whole reply) before "turn-(N+1).1"; other names are {0, 0}.
std::pair<unsigned long, unsigned long> mark_order(const std::string& name) {
  unsigned long n = 0, k = 0;
  char tail = 0;
  if (std::sscanf(name.c_str(), "turn-%lu.%lu%c", &n, &k, &tail) == 2)
    return {n, k};
  if (std::sscanf(name.c_str(), "turn-%lu%c", &n, &tail) == 1)
    return {n, ~0ul};
  return {0, 0};
}

enum class phase { waiting, connecting, speaking, awaiting, replying, pausing, hanging_up, done };

struct caller {
  size_t index = 0;
  script sc;
  result res;
  lws* wsi = nullptr;
  phase ph = phase::waiting;
  clock::time_point start_at{};
  clock::time_point hangup_at{};
  clock::time_point next_frame{};
  clock::time_point phase_until{};  // end of pause / reply deadline / barge-in time
  clock::time_point last_speech{};
  // Playback, as a phone plays what it is sent: the reply audio received so far ends
  // playing at play_until ({} = nothing of this reply yet), and each mark is echoed when
  // playback reaches it (marks_due, in order); a clear empties it and echoes them all.
  clock::time_point play_until{};
  std::deque<std::pair<clock::time_point, std::string>> marks_due;
  std::pair<unsigned long, unsigned long> last_mark{0, 0};  // mark_order of the latest mark
  bool barge_pending = false;
  clock::time_point barged_at{};  // started speaking over the reply; cleared on `clear`
  bool cleared = false;  // a clear arrived during this utterance
  int speech_frames_left = 0;
  size_t utterance_at = 0;  // bytes of the current recorded utterance sent
  uint64_t seq = 0;
  uint64_t chunk = 0;
  std::string stream_sid;
  std::deque<std::pair<std::string, bool>> out;  // frame, binary
  std::string rx;                                // reassembly of a fragmented message
  bool close_after_out = false;
  bool close_started = false;  // our close frame is handed to lws (once)
  bool write_failed = false;   // the node has closed the socket: nothing more is sent
};

} // namespace

std::string tone_frame(dialect d, bool speech, uint64_t n) {
  audio_bytes pcm(320);
  for (int i = 0; i < 160; ++i) {
    double t = static_cast<double>(n * 160 + static_cast<uint64_t>(i)) / 8000.0;
    auto v = static_cast<int16_t>(speech ? 6000.0 * std::sin(2 * M_PI * 440.0 * t)
                                         : ((i * 7) % 5) - 2);
    pcm[2 * i] = static_cast<uint8_t>(v & 0xFF);
    pcm[2 * i + 1] = static_cast<uint8_t>((v >> 8) & 0xFF);
  }
  if (d == dialect::exotel)
    return codec::base64_encode(pcm.data(), pcm.size());
  auto mu = codec::pcm16le_to_mulaw(pcm.data(), pcm.size());
  return codec::base64_encode(mu.data(), mu.size());
}

std::string call_sid_of(const caller& c) {
  return c.sc.call_sid.empty() ? "CAsim" + std::to_string(c.index) : c.sc.call_sid;
}

struct engine::impl {
  std::string host;
  uint16_t port;
  std::vector<caller> callers;
  std::vector<result> results;
  engine_stats stats;
  lws_context* ctx = nullptr;
  // The 20 ms timer; a standard-layout wrapper, so lws_container_of can find `self`.
  struct timer {
    lws_sorted_usec_list_t sul{};
    impl* self = nullptr;
  } tick;
  clock::time_point started{};
  clock::time_point next_tick{};
  std::atomic<bool> stop{false};
  int max_in_flight = 0;  // 0 = no limit
  int in_flight = 0;      // connecting or connected (the loop's thread only)
  std::string speech_b64[2][2];  // [dialect][phase of tone], precomputed
  std::string silence_b64[2];

  static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  static void tick_cb(lws_sorted_usec_list_t* s);

  const std::string& payload(const caller& c, bool speech) const {
    auto d = c.sc.kind == dialect::exotel ? 1 : 0;
    return speech ? speech_b64[d][c.chunk % 2] : silence_b64[d];
  }

  json base(caller& c, const char* event) {
    json j;
    j["event"] = event;
    auto seq = std::to_string(++c.seq);
    if (c.sc.kind == dialect::twilio) {
      j["sequenceNumber"] = seq;
      j["streamSid"] = c.stream_sid;
    } else {
      j["sequence_number"] = seq;
      j["stream_sid"] = c.stream_sid;
    }
    return j;
  }

  void send(caller& c, std::string frame, bool binary = false) {
    if (c.write_failed)
      return;
    c.out.emplace_back(std::move(frame), binary);
    if (!c.wsi)
      return;
    // Nothing queued ahead and lws holds no partial write: send now (one syscall),
    // not a poll round later; otherwise the frame waits for WRITEABLE.
    if (c.out.size() == 1 && !lws_partial_buffered(c.wsi)) {
      if (!write_front(c))
        write_failed(c);
      else if (c.close_after_out)
        lws_callback_on_writable(c.wsi);
      return;
    }
    lws_callback_on_writable(c.wsi);
  }

  // A write the socket refused: the node has closed it (a reset answers our media once
  // it has). What the node sent before, its close frame among it, may still wait unread
  // in our receive buffer: the connection stays open for lws to read it (then the end of
  // the stream closes it), bounded by a timeout, instead of being dropped unread.
  void write_failed(caller& c) {
    c.write_failed = true;
    c.out.clear();
    lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, 2);
  }

  std::string write_buf;  // LWS_PRE + frame, reused for every write (the loop's thread)
  bool write_front(caller& c) {
    auto [frame, binary] = std::move(c.out.front());
    c.out.pop_front();
    write_buf.resize(LWS_PRE + frame.size());
    std::memcpy(write_buf.data() + LWS_PRE, frame.data(), frame.size());
    return lws_write(c.wsi, reinterpret_cast<unsigned char*>(write_buf.data() + LWS_PRE),
                     frame.size(), binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) >=
           static_cast<int>(frame.size());
  }

  void connect(caller& c) {
    c.ph = phase::connecting;
    ++in_flight;
    auto path = c.sc.path.empty()
                  ? std::string(c.sc.kind == dialect::twilio ? "/ws/twilio" : "/ws/exotel")
                  : c.sc.path;
    lws_client_connect_info ci;
    std::memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = host.c_str();
    ci.port = port;
    ci.path = path.c_str();
    ci.host = ci.address;
    ci.origin = ci.address;
    ci.local_protocol_name = "sb-caller";
    ci.userdata = &c;
    if (!lws_client_connect_via_info(&ci) && c.ph == phase::connecting)
      finish(c, "cannot connect");
  }

  void finish(caller& c, const std::string& err) {
    if (c.ph == phase::done)
      return;
    if (!err.empty() && c.res.connect_error.empty() && !c.res.connected)
      c.res.connect_error = err;
    c.ph = phase::done;
    c.res.finished = true;
    c.wsi = nullptr;
    if (c.res.connected)
      --stats.active;
    --in_flight;
    bool closed_badly = c.res.close_code != 0 && c.res.close_code != 1000;
    if (!c.res.connected || closed_badly || c.res.turns_failed > 0)
      ++stats.failed;
    ++stats.done;
  }

  void established(caller& c) {
    c.res.connected = true;
    ++stats.active;
    auto now = clock::now();
    c.hangup_at = now + c.sc.max_duration;
    c.next_frame = now;
    c.stream_sid = "MZsim" + std::to_string(c.index);
    send(c, R"({"event":"connected","protocol":"Call","version":"1.0.0"})");
    if (c.sc.misbehave != misbehaviour::no_start) {
      auto j = base(c, "start");
      if (c.sc.kind == dialect::twilio) {
        j["start"] = {{"streamSid", c.stream_sid},
                      {"accountSid", "ACsim"},
                      {"callSid", call_sid_of(c)},
                      {"tracks", {"inbound"}},
                      {"customParameters", {{"caller", std::to_string(c.index)}}},
                      {"mediaFormat",
                       {{"encoding", "audio/x-mulaw"}, {"sampleRate", 8000}, {"channels", 1}}}};
      } else {
        j["start"] = {{"stream_sid", c.stream_sid},
                      {"call_sid", call_sid_of(c)},
                      {"account_sid", "ACsim"},
                      {"from", "+910000000000"},
                      {"to", "+910000000001"},
                      {"custom_parameters", json::object()},
                      {"media_format",
                       {{"encoding", "audio/x-raw"}, {"sample_rate", "8000"},
                        {"bit_rate", "16"}}}};
      }
      send(c, j.dump());
    }
    switch (c.sc.misbehave) {
      case misbehaviour::invalid_json: send(c, "{not json"); break;
      case misbehaviour::unknown_event: send(c, R"({"event":"bogus"})"); break;
      case misbehaviour::bad_base64: {
        auto j = base(c, "media");
        j["media"] = {{"track", "inbound"}, {"chunk", "1"}, {"timestamp", "0"},
                      {"payload", "!!not*base64!!"}};
        send(c, j.dump());
        break;
      }
      case misbehaviour::huge_frame: send(c, std::string(1 << 20, 'x')); break;
      case misbehaviour::binary_frame: send(c, std::string(160, '\x7f'), true); break;
      default: break;
    }
    if (c.sc.listen_first) {  // the greeting is the first reply
      c.ph = phase::awaiting;
      c.last_speech = now;
      c.phase_until = now + c.sc.reply_timeout;
      return;
    }
    start_speaking(c, now);
  }

  void start_speaking(caller& c, clock::time_point) {
    c.ph = phase::speaking;
    c.speech_frames_left = static_cast<int>(c.sc.speech / frame_period);
    auto turn = static_cast<size_t>(c.res.turns_spoken);
    if (turn < c.sc.utterances.size()) {
      c.utterance_at = 0;
      c.speech_frames_left = static_cast<int>((c.sc.utterances[turn].size() + 159) / 160);
    }
  }

  // The next 20 ms of the recorded utterance (padded with silence), base64.
  std::string utterance_frame(caller& c) {
    auto& u = c.sc.utterances[static_cast<size_t>(c.res.turns_spoken)];
    audio_bytes mu(160, 0xFF);
    for (size_t i = 0; i < 160 && c.utterance_at < u.size(); ++i)
      mu[i] = u[c.utterance_at++];
    if (c.sc.kind == dialect::exotel) {
      auto pcm = codec::mulaw_to_pcm16le(mu.data(), mu.size());
      return codec::base64_encode(pcm.data(), pcm.size());
    }
    return codec::base64_encode(mu.data(), mu.size());
  }

  void media_frame(caller& c, bool speech) {
    if (c.sc.misbehave == misbehaviour::no_start)
      return;  // a caller that never starts sends no media either
    // 50 frames a second per caller: assembled as text, not through a JSON tree. The
    // sid is ours (letters and digits) and the payload base64: nothing to escape.
    ++c.chunk;
    ++c.res.frames_sent;
    auto seq = std::to_string(++c.seq);
    auto chunk = std::to_string(c.chunk);
    auto ts = std::to_string(c.chunk * 20);
    std::string recorded;
    if (speech && static_cast<size_t>(c.res.turns_spoken) < c.sc.utterances.size())
      recorded = utterance_frame(c);
    const auto& pl = recorded.empty() ? payload(c, speech) : recorded;
    std::string f;
    f.reserve(200 + pl.size());
    if (c.sc.kind == dialect::twilio)
      f.append(R"({"event":"media","sequenceNumber":")").append(seq)
        .append(R"(","streamSid":")").append(c.stream_sid)
        .append(R"(","media":{"track":"inbound","chunk":")").append(chunk);
    else
      f.append(R"({"event":"media","sequence_number":")").append(seq)
        .append(R"(","stream_sid":")").append(c.stream_sid)
        .append(R"(","media":{"chunk":")").append(chunk);
    f.append(R"(","timestamp":")").append(ts).append(R"(","payload":")").append(pl)
      .append(R"("}})");
    send(c, std::move(f));
  }

  void hang_up(caller& c) {
    if (c.ph == phase::hanging_up || c.ph == phase::done)
      return;
    c.ph = phase::hanging_up;
    if (!c.sc.send_stop) {  // the socket just closes (a dropped stream)
      c.close_after_out = true;
      if (c.wsi)
        lws_callback_on_writable(c.wsi);
      return;
    }
    auto j = base(c, "stop");
    if (c.sc.kind == dialect::twilio)
      j["stop"] = {{"accountSid", "ACsim"}, {"callSid", call_sid_of(c)}};
    else
      j["stop"] = {{"call_sid", call_sid_of(c)}, {"reason", "callended"}};
    // Set before sending: a stop written at once must still ask for the writeable
    // callback that closes the connection.
    c.close_after_out = true;
    send(c, j.dump());
  }

  // One 20 ms step of a connected caller.
  void step(caller& c, clock::time_point now) {
    if (now >= c.hangup_at)
      hang_up(c);
    while (c.ph != phase::hanging_up && c.ph != phase::done && c.next_frame <= now) {
      c.next_frame += frame_period;
      bool speech = c.ph == phase::speaking;
      media_frame(c, speech);
      if (speech && --c.speech_frames_left <= 0) {
        c.last_speech = now;
        c.cleared = false;
        ++c.res.turns_spoken;
        c.ph = phase::awaiting;
        c.phase_until = now + c.sc.reply_timeout;
        c.play_until = {};
      }
    }
    echo_due_marks(c, now);
    if (c.ph == phase::awaiting && now >= c.phase_until) {
      ++c.res.turns_failed;
      next_turn(c, now);
    } else if (c.ph == phase::replying && c.barge_pending && now >= c.phase_until) {
      c.barge_pending = false;
      if (c.res.turns_spoken < c.sc.turns) {
        c.barged_at = now;
        start_speaking(c, now);
      }
    } else if (c.ph == phase::replying && !c.barge_pending && now >= c.phase_until) {
      ++c.res.turns_failed;  // reply started but never finished (no mark)
      next_turn(c, now);
    } else if (c.ph == phase::pausing && now >= c.phase_until) {
      if (c.res.turns_spoken < c.sc.turns)
        start_speaking(c, now);
      else if (!c.sc.stay_after_turns && !waits_for_done(c))
        hang_up(c);
    }
  }

  // A caller that stays on until another has finished (script::stay_until_done_of).
  bool waits_for_done(const caller& c) const {
    auto other = c.sc.stay_until_done_of;
    return other >= 0 && static_cast<size_t>(other) < callers.size() &&
           callers[static_cast<size_t>(other)].ph != phase::done;
  }

  // A caller due to connect only once another has heard a reply (start_after_answer_of);
  // it does not wait for one that finished without.
  bool waits_for_answer(const caller& c) const {
    auto other = c.sc.start_after_answer_of;
    if (other < 0 || static_cast<size_t>(other) >= callers.size())
      return false;
    auto& o = callers[static_cast<size_t>(other)];
    return o.res.turns_answered == 0 && o.ph != phase::done;
  }

  void next_turn(caller& c, clock::time_point now) {
    c.ph = phase::pausing;
    c.phase_until = now + c.sc.pause;
  }

  void on_text(caller& c, const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return;
    auto ev = j.value("event", "");
    auto now = clock::now();
    if (ev == "media") {
      auto p = j["media"].value("payload", "");
      auto bytes = codec::base64_decode(p);
      ++c.res.media_frames;
      if (c.cleared && c.ph == phase::speaking)
        ++c.res.stale_frames;
      c.res.media_bytes += bytes ? bytes->size() : 0;
      if (c.sc.keep_reply_audio && bytes) {
        if (c.ph == phase::awaiting || c.res.replies.empty())
          c.res.replies.emplace_back();
        c.res.replies.back().insert(c.res.replies.back().end(), bytes->begin(), bytes->end());
      }
      // A gap: playback ran dry for more than two frame periods inside a reply.
      auto period = millis{c.sc.kind == dialect::twilio ? 20 : 200};
      if (c.play_until != clock::time_point{} && now - c.play_until > 2 * period)
        ++c.res.gaps;
      // Twilio sends mu-law (8 bytes a millisecond), Exotel 16-bit PCM (16).
      auto bytes_per_ms = c.sc.kind == dialect::twilio ? 8 : 16;
      auto size = bytes ? bytes->size() : 0;
      c.play_until = std::max(now, c.play_until) +
                     std::chrono::microseconds{size * 1000 / bytes_per_ms};
      c.res.max_buffered_ms = std::max(
        c.res.max_buffered_ms, std::chrono::duration<double, std::milli>(c.play_until - now).count());
      if (c.ph == phase::awaiting) {
        if (++c.res.turns_answered == 1)
          ++stats.answered;
        auto ms = std::chrono::duration<double, std::milli>(now - c.last_speech).count();
        if (c.res.turns_spoken > 0) {  // not the greeting (listen_first)
          c.res.latency_ms.push_back(ms);
          stats.add_latency(ms);
        }
        c.ph = phase::replying;
        c.phase_until = now + c.sc.reply_timeout;
        if (c.sc.barge_in && c.res.turns_spoken < c.sc.turns) {
          c.barge_pending = true;
          c.phase_until = now + millis{200};
        }
      }
    } else if (ev == "mark") {
      // Echoed when playback reaches it, as Twilio does.
      auto name = j["mark"].value("name", "");
      auto order = mark_order(name);
      if (order < c.last_mark)
        ++c.res.marks_out_of_order;
      c.last_mark = std::max(c.last_mark, order);
      c.marks_due.emplace_back(std::max(now, c.play_until), std::move(name));
      echo_due_marks(c, now);
    } else if (ev == "clear") {
      ++c.res.clears;
      if (c.barged_at != clock::time_point{}) {
        c.res.barge_in_ms.push_back(
          std::chrono::duration<double, std::milli>(now - c.barged_at).count());
        c.barged_at = {};
      }
      c.cleared = true;
      if (c.play_until > now)
        c.res.cleared_ms += std::chrono::duration<double, std::milli>(c.play_until - now).count();
      // The buffer is emptied: the marks in it come back at once.
      for (auto& m : c.marks_due)
        m.first = now;
      echo_due_marks(c, now);
      c.play_until = {};
    }
  }

  // The node's mark after a whole reply ("turn-N") ends the turn once heard, its marks
  // after each sentence ("turn-N.K") do not.
  void echo_due_marks(caller& c, clock::time_point now) {
    while (!c.marks_due.empty() && c.marks_due.front().first <= now &&
           c.ph != phase::hanging_up && c.ph != phase::done) {
      auto name = std::move(c.marks_due.front().second);
      c.marks_due.pop_front();
      bool sentence = name.find('.') != std::string::npos;
      ++(sentence ? c.res.sentence_marks : c.res.marks);
      auto echo = base(c, "mark");
      echo["mark"] = {{"name", name}};
      send(c, echo.dump());
      if (!sentence && c.ph == phase::replying && !c.barge_pending) {
        c.play_until = {};
        next_turn(c, now);
      }
    }
  }
};

int engine::impl::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                           size_t len) {
  auto* c = static_cast<caller*>(user);
  auto* self = static_cast<impl*>(lws_context_user(lws_get_context(wsi)));
  if (!c || !self)
    return 0;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      c->wsi = wsi;
      self->established(*c);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      c->rx.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        self->on_text(*c, c->rx);
        c->rx.clear();
      }
      return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (c->write_failed)
        return 0;
      if (c->out.empty()) {
        // Once: lws then sends the close frame and waits for the node's reply; a second
        // -1 while it waits would drop the connection at once.
        if (c->close_after_out && !c->close_started) {
          c->close_started = true;
          lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
          return -1;
        }
        return 0;
      }
      if (!self->write_front(*c)) {
        self->write_failed(*c);
        return 0;
      }
      if (!c->out.empty() || c->close_after_out)
        lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (len >= 2) {
        auto* b = static_cast<const unsigned char*>(in);
        c->res.close_code = (b[0] << 8) | b[1];
        c->res.close_reason.assign(reinterpret_cast<const char*>(b) + 2, len - 2);
      }
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      c->res.refused_status = static_cast<int>(lws_http_client_http_response(wsi));
      self->finish(*c, in ? static_cast<const char*>(in) : "connection error");
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      self->finish(*c, "");
      return 0;
    default:
      return 0;
  }
}

void engine::impl::tick_cb(lws_sorted_usec_list_t* s) {
  auto* self = lws_container_of(s, timer, sul)->self;
  auto now = clock::now();
  auto lag = std::chrono::duration_cast<std::chrono::microseconds>(now - self->next_tick);
  if (lag.count() > self->stats.max_tick_lag_us)
    self->stats.max_tick_lag_us = lag.count();
  self->stats.add_lag(static_cast<double>(lag.count()) / 1000.0);
  for (auto& c : self->callers) {
    if (c.ph == phase::waiting && now >= c.start_at && !self->waits_for_answer(c) &&
        (self->max_in_flight == 0 || self->in_flight < self->max_in_flight))
      self->connect(c);
    else if (c.ph != phase::waiting && c.ph != phase::connecting && c.ph != phase::done)
      self->step(c, now);
  }
  self->next_tick += frame_period;
  auto wait = std::chrono::duration_cast<std::chrono::microseconds>(self->next_tick -
                                                                    clock::now());
  lws_sul_schedule(self->ctx, 0, &self->tick.sul, tick_cb, std::max<int64_t>(wait.count(), 0));
}

engine::engine(std::string host, uint16_t port) : impl_(std::make_unique<impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  for (int d = 0; d < 2; ++d) {
    auto kind = d == 0 ? dialect::twilio : dialect::exotel;
    impl_->speech_b64[d][0] = tone_frame(kind, true, 0);
    impl_->speech_b64[d][1] = tone_frame(kind, true, 1);
    impl_->silence_b64[d] = tone_frame(kind, false, 0);
  }
}

engine::~engine() = default;

void engine::add(script s, millis start_after) {
  caller c;
  c.index = impl_->callers.size();
  c.sc = std::move(s);
  if (!c.sc.utterances.empty())
    c.sc.turns = static_cast<int>(c.sc.utterances.size());
  c.start_at = clock::time_point{} + start_after;  // made absolute in run()
  impl_->callers.push_back(std::move(c));
}

bool engine::run(millis timeout) {
  static const lws_protocols protocols[] = {
    {"sb-caller", &impl::callback, 0, 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
  };
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.user = impl_.get();
  info.timeout_secs = 10;
  sb::lwsloop::event_loop loop;
  loop.configure(info);
  impl_->ctx = lws_create_context(&info);
  if (!impl_->ctx)
    return false;
  auto now = clock::now();
  impl_->started = now;
  for (auto& c : impl_->callers)
    c.start_at = now + (c.start_at - clock::time_point{});
  impl_->next_tick = now;
  impl_->tick.self = impl_.get();
  lws_sul_schedule(impl_->ctx, 0, &impl_->tick.sul, impl::tick_cb, 0);
  auto deadline = now + timeout;
  bool ok = true;
  while (impl_->stats.done < static_cast<int>(impl_->callers.size())) {
    if (clock::now() > deadline || impl_->stop) {
      ok = false;
      break;
    }
    loop.run_once();
  }
  lws_sul_cancel(&impl_->tick.sul);
  loop.destroy(impl_->ctx);
  impl_->ctx = nullptr;
  impl_->results.clear();
  for (auto& c : impl_->callers)
    impl_->results.push_back(c.res);
  return ok;
}

void engine::set_concurrency(int max_in_flight) { impl_->max_in_flight = max_in_flight; }

const std::vector<result>& engine::results() const { return impl_->results; }

void engine_stats::add_latency(double ms) {
  std::lock_guard<std::mutex> g{m_};
  latency_ms_.push_back(ms);
}

void engine_stats::add_lag(double ms) {
  std::lock_guard<std::mutex> g{m_};
  lag_ms_.push_back(ms);
}

std::vector<double> engine_stats::latencies() const {
  std::lock_guard<std::mutex> g{m_};
  return latency_ms_;
}

std::vector<double> engine_stats::lags() const {
  std::lock_guard<std::mutex> g{m_};
  return lag_ms_;
}
const engine_stats& engine::stats() const { return impl_->stats; }
void engine::request_stop() { impl_->stop = true; }

} // namespace sb::caller
