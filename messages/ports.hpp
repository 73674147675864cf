// Where actors and the network layer meet. net/ implements these interfaces on its I/O
// thread; runtime/ hands the implementations to the actors it spawns. Every method is
// thread-safe and never blocks: it queues work for the I/O thread and returns.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/audio.hpp"
#include "messages/provider_events.hpp"
#include "messages/telephony.hpp"

namespace sb {

using session_id = uint64_t;

// The caller's side of a call: the telephony WebSocket, framed in its dialect.
class telephony_port {
public:
  virtual ~telephony_port() = default;
  // Queues mu-law 8 kHz audio for the caller. The edge sends it in the dialect's framing,
  // paced in real time (Twilio: 20 ms frames; Exotel: 200 ms chunks of PCM).
  virtual void play(session_id s, audio_bytes mulaw) = 0;
  // Queues a mark behind the audio queued so far; the caller echoes it once played.
  virtual void mark(session_id s, std::string name) = 0;
  // Drops all queued audio (and queued marks) and tells the caller to `clear` its buffer.
  virtual void clear(session_id s) = 0;
  // Sends what is queued, then closes the WebSocket with this code and reason.
  virtual void close(session_id s, uint16_t code, std::string reason) = 0;
  // Hands the caller's audio straight to this STT stream on the I/O thread from now on,
  // instead of to the call actor (two thread crossings per 20 ms frame saved). Keeps the
  // order: the edge holds new audio and sends the actor audio_routed_atom, behind every
  // frame already on its way; the actor forwards those frames, then calls open_route.
  virtual void route_audio(session_id s, stream_id stt) = 0;
  // The actor has forwarded everything before audio_routed_atom: send the held audio on.
  virtual void open_route(session_id s) = 0;
  // The STT stream was closed under the call (its lease was revoked): the caller's audio
  // goes to the call actor again (tel_media) until the next route_audio.
  virtual void unroute_audio(session_id s) = 0;
};

struct chat_message {
  std::string role;  // system | user | assistant
  std::string content;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_message& x) {
  return f(caf::meta::type_name("chat_message"), x.role, x.content);
}

// Which of a stage's providers a stream goes to: the configured one, or its fallback
// ([stt|tts] fallback), used when the first has no lease in time or its breaker is open.
enum class provider_route : uint8_t { primary = 0, fallback = 1 };

inline const char* to_string(provider_route r) {
  return r == provider_route::fallback ? "fallback" : "primary";
}

// Provider streams. Events come back to `owner` as the typed messages in
// provider_events.hpp, tagged with the returned stream id. `key` is the index of the API
// key to use (the pool lease says which). Every stream ends with exactly one terminal
// event: provider_closed, provider_failure, llm_done or tts_done. After cancel(id) only
// provider_closed is still delivered, once the connection has really closed, so a lease
// guarding it can be returned then.
class provider_port {
public:
  virtual ~provider_port() = default;
  // Opens a live STT stream for audio in this encoding (8 kHz mono).
  virtual stream_id open_stt(caf::actor owner, audio_encoding enc, uint32_t key,
                             provider_route route = provider_route::primary) = 0;
  // Queues caller audio for the stream (buffered by the client until it is open).
  virtual void stt_audio(stream_id id, audio_bytes audio) = 0;
  // Asks the provider to flush and close (Deepgram CloseStream).
  virtual void stt_finish(stream_id id) = 0;
  // Streams a chat completion for these messages.
  virtual stream_id start_llm(caf::actor owner, std::vector<chat_message> messages,
                              uint32_t key) = 0;
  // Synthesises one piece of text to mu-law 8 kHz audio, streamed.
  virtual stream_id start_tts(caf::actor owner, std::string text, uint32_t key,
                              provider_route route = provider_route::primary) = 0;
  // A TTS stream for a whole reply ([tts] transport = websocket): the reply's text goes in
  // piece by piece as it is written, its audio comes back as tts_audio, and after
  // tts_stream_finish the stream ends with tts_done once the last audio has come.
  virtual stream_id open_tts_stream(caf::actor owner, uint32_t key,
                                    provider_route route = provider_route::primary) = 0;
  virtual void tts_stream_text(stream_id id, std::string text) = 0;
  virtual void tts_stream_finish(stream_id id) = 0;
  // Closes the stream at once; no more events for it.
  virtual void cancel(stream_id id) = 0;
};

// What the edge knows about a new telephony connection when it asks for a call actor.
struct call_spawn_info {
  session_id session = 0;
  dialect kind = dialect::twilio;
  std::string route;      // path segments after /ws/twilio or /ws/exotel ("" if none)
  std::string remote_ip;
};

// Spawns the call actor for a new connection (injected into net/ by runtime/).
using call_factory = std::function<caf::actor(const call_spawn_info&)>;

} // namespace sb
