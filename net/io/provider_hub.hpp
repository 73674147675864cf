// Provider streams on the I/O thread: Deepgram live STT (WebSocket client) and the HTTP
// streaming clients for OpenAI-compatible chat completions (SSE) and TTS (ElevenLabs,
// Deepgram Aura). Each stream reports to its owner actor with the typed events of
// messages/provider_events.hpp; every failure becomes a provider_failure.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <libwebsockets.h>

#include "messages/config.hpp"
#include "messages/ports.hpp"
#include "net/codec/sse_parser.hpp"
#include "net/io/replay_buffer.hpp"

namespace sb::net {

class io_loop;

using steady = std::chrono::steady_clock;

struct stt_stream {
  stream_id id = 0;
  caf::actor owner;
  lws* wsi = nullptr;
  provider_route route = provider_route::primary;
  audio_encoding encoding = audio_encoding::mulaw;
  std::string key;
  bool open = false;
  bool cancelled = false;      // owner gets provider_closed at the real close
  bool finishing = false;      // CloseStream queued
  bool done = false;           // final event delivered (no more events)
  struct frame {
    audio_bytes bytes;  // audio as the caller sent it (moved, not copied), or JSON text
    bool binary = true;
  };
  std::deque<frame> out;
  size_t buffered_audio = 0;   // audio bytes in `out` while not yet open
  std::string rx;
  int close_code = 0;
  std::string close_reason;
  steady::time_point last_sent{};
  steady::time_point deadline{};  // connect deadline while not open
  // A stream lost mid-call is reopened under the same id and lease. The audio sent and
  // not yet covered by a final result is sent again (at most replay_window of it), then
  // what queued up while reconnecting.
  replay_buffer replay{0, 1};  // set up for the stream's encoding when it opens
  // When each write of audio went out, until a final result covers it: the provider's
  // latency (net_probe::stt_latency). At most max_sent_marks, the oldest dropped.
  struct sent_mark {
    uint64_t begin_bytes = 0;
    uint64_t end_bytes = 0;
    steady::time_point at{};
  };
  std::deque<sent_mark> sent_marks;
  uint32_t reconnects = 0;        // since the last result on a connection
  bool reconnecting = false;      // waiting for reconnect_at
  bool tls_failed = false;        // the certificate was refused: no retry
  steady::time_point reconnect_at{};
  // Caller audio held back to go as one message ([stt] send_interval; stt_batching.cpp).
  size_t batch_bytes = 0;         // audio queued in `out` and not yet written
  steady::time_point batch_since{};
  bool voice = false;             // the last frame sounded like speech
  int prompt_ms = 0;              // while > 0 each frame goes at once (speech starts or stops)
};

// A TTS WebSocket for one reply ([tts] transport = websocket): ElevenLabs stream-input or
// Deepgram Aura's /v1/speak.
struct tts_ws_stream {
  stream_id id = 0;
  bool deepgram = false;
  caf::actor owner;
  lws* wsi = nullptr;
  provider_route route = provider_route::primary;
  std::string key;
  std::deque<std::string> out;  // JSON text messages not yet written
  bool open = false;
  bool finishing = false;       // end of stream queued
  bool done = false;            // terminal event delivered
  bool cancelled = false;       // owner gets provider_closed at the real close
  std::string rx;
  int close_code = 0;
  std::string close_reason;
  steady::time_point deadline{};  // no progress (text sent, audio received) by then: timeout
};

struct http_stream {
  stream_id id = 0;
  provider_kind kind = provider_kind::llm;
  provider_route route = provider_route::primary;
  caf::actor owner;
  lws* wsi = nullptr;
  bool cancelled = false;      // owner gets provider_closed at the real close
  url_parts url;
  std::string path;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // "name:" -> value
  int status = 0;
  int64_t retry_after_ms = -1;
  std::string error_body;
  codec::sse_parser sse;
  std::string finish_reason;
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  bool body_sent = false;
  bool done = false;
  bool complete = false;       // the reply's end arrived ([DONE]); the body ends next
  bool killed = false;         // we are closing the connection: it is not reused
  steady::time_point deadline{};
  int slot = -1;               // keep-alive slot (http_slots), -1 = a one-off connection
  bool warm = false;           // sent on a connection kept open from an earlier request
  bool retried = false;        // resent once after its kept-alive connection had closed
};

class provider_hub {
public:
  explicit provider_hub(io_loop& loop);
  ~provider_hub();

  std::shared_ptr<provider_port> port_handle() { return port_; }
  int stt_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  void on_tick();
  void cancel_all();
  size_t open_streams() const { return stt_.size() + http_.size() + tts_ws_.size(); }

  // I/O thread side of provider_port.
  void open_stt(stream_id id, caf::actor owner, audio_encoding enc, uint32_t key,
                provider_route route);
  void stt_audio(stream_id id, audio_bytes audio);
  void stt_finish(stream_id id);
  void start_llm(stream_id id, caf::actor owner, std::vector<chat_message> messages,
                 uint32_t key);
  void start_tts(stream_id id, caf::actor owner, std::string text, uint32_t key,
                 provider_route route);
  void cancel(stream_id id);
  // TTS over WebSocket (tts_stream_client.cpp).
  void open_tts_stream(stream_id id, caf::actor owner, uint32_t key, provider_route route);
  void tts_stream_text(stream_id id, std::string text);
  void tts_stream_finish(stream_id id);
  int tts_ws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

  std::atomic<stream_id> next_id{1};

private:
  void fail(caf::actor& owner, stream_id id, provider_kind kind, failure_kind fk,
            int status, int64_t retry_after_ms, std::string detail);
  // STT client pieces (stt_client.cpp).
  void stt_connect(stt_stream& s);
  void stt_receive(stt_stream& s, const char* data, size_t len, bool final);
  int stt_writeable(stt_stream& s);
  // Writes the front of s.out (queued audio merged into one message); false on error.
  bool stt_write_front(stt_stream& s);
  static constexpr size_t max_stt_message_bytes = 16 * 1024;
  void stt_closed(stt_stream& s, bool connection_error, const std::string& why, lws* wsi);
  // Whether the lost stream is reopened; if so, schedules it.
  bool stt_reconnect(stt_stream& s, int status, int close_code, const std::string& why);
  // Reopens these streams, whose back-off is over (ids collected by on_tick).
  void stt_reconnect_due(const std::vector<stream_id>& due);
  void stt_result_seen(stt_stream& s, double end_s);
  void stt_latency_seen(stt_stream& s, uint64_t covered);
  static constexpr auto replay_window = std::chrono::seconds{2};
  static constexpr size_t max_sent_marks = 512;  // writes: 10 s of 20 ms frames, 12 KB
  static constexpr auto stt_connect_timeout = std::chrono::seconds{10};
  void stt_queue(stt_stream& s, audio_bytes bytes, bool binary);
  void stt_queue_text(stt_stream& s, const std::string& text);
  // Caller audio on an open stream: sent now, or held for the batch (stt_batching.cpp).
  void stt_send_audio(stt_stream& s, audio_bytes audio);
  void stt_flush(stt_stream& s);
  void stt_flush_batches(steady::time_point now);
  // HTTP client pieces (http_client.cpp).
  void http_connect(std::unique_ptr<http_stream> h);
  // Connects h (already in http_) on a free keep-alive slot; false if lws refused at once.
  bool http_open(http_stream& h);
  // The request is over: its slot goes back, its connection stays open when `reusable`.
  void http_release(http_stream& h, lws* wsi, bool reusable);
  void http_idle_closed(lws* wsi);
  void http_kill(http_stream& h);
  void tts_ws_queue(tts_ws_stream& t, std::string msg);
  void tts_ws_receive(tts_ws_stream& t, const char* data, size_t len, bool final,
                      bool binary);
  void tts_ws_closed(tts_ws_stream& t, bool connection_error, const std::string& why, lws* wsi);
  void tts_ws_tick(steady::time_point now);
  void http_established(http_stream& h, lws* wsi);
  void http_data(http_stream& h, const char* data, size_t len);
  void http_completed(http_stream& h);
  void http_closed(http_stream& h, const std::string& why);
  void kill(lws* wsi);

  io_loop& loop_;
  std::unordered_map<stream_id, std::unique_ptr<stt_stream>> stt_;
  std::unordered_set<stream_id> stt_batching_;  // streams with a batch of audio held back
  std::unordered_map<stream_id, std::unique_ptr<http_stream>> http_;
  std::unordered_map<stream_id, std::unique_ptr<tts_ws_stream>> tts_ws_;
  size_t max_pending_audio_mulaw_ = 16000;
  unsigned tick_count_ = 0;
  std::shared_ptr<provider_port> port_;
  std::string write_buf_;  // LWS_PRE + frame, reused for every STT write (I/O thread only)
};

} // namespace sb::net
