// Simulated phone callers over real WebSockets, Twilio or Exotel dialect. One lws context
// and one 20 ms timer drive every caller: each streams audio in real time (tone bursts
// for speech, low noise for silence), plays the reply audio out as a phone does (what
// arrives ahead of time is buffered; each mark is echoed when playback reaches it, and a
// clear empties the buffer and echoes its marks at once), and measures each turn's
// response latency (last speech frame sent -> first reply audio frame received).
// Used by the integration tests and by switchboard-loadgen.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "messages/telephony.hpp"

namespace sb::caller {

using millis = std::chrono::milliseconds;

// Something other than a well-behaved caller, for protocol-error tests.
enum class misbehaviour : uint8_t {
  none,
  invalid_json,   // "{not json" after start
  unknown_event,  // {"event":"bogus"}
  bad_base64,     // media payload that is not base64
  huge_frame,     // one 1 MiB text frame
  binary_frame,   // a binary frame instead of JSON text
  no_start,       // never sends start
};

// One 20 ms frame of caller audio, base64, in the dialect's encoding (Twilio mu-law,
// Exotel 16-bit PCM): a 440 Hz tone for speech, near silence otherwise; `n` is the frame's
// number, for the tone's phase.
std::string tone_frame(dialect d, bool speech, uint64_t n);

struct script {
  dialect kind = dialect::twilio;
  std::string path;              // default /ws/twilio or /ws/exotel
  int turns = 2;                 // utterances to speak
  millis speech{600};            // length of each utterance
  millis pause{300};             // after a reply has finished, before speaking again
  millis reply_timeout{15000};   // a turn with no reply audio by then counts as failed
  bool barge_in = false;         // speak again 200 ms into each reply
  misbehaviour misbehave = misbehaviour::none;
  millis max_duration{60000};    // hang up after this whatever happens
  std::string call_sid;          // empty: CAsim<index>; the same sid again = the call's
                                 // stream coming back (a reconnect)
  bool stay_after_turns = false; // after the last turn, stay on (silent) until max_duration
  bool send_stop = true;         // hang up with a stop event; false: just close the socket
  // Recorded speech instead of tone bursts: one utterance a turn, mu-law 8 kHz (turns
  // becomes its size; Exotel callers send it as 16-bit PCM).
  std::vector<audio_bytes> utterances;
  bool listen_first = false;     // wait for the node's greeting (a reply) before turn 1
  bool keep_reply_audio = false; // result.replies: the audio of each reply
  // Ordering callers by events, not by time (indexes as added to the engine; -1 = none):
  // connect only once that caller has heard its first reply (it is in its call, holding
  // what a call holds), and after the last turn stay on until that caller has finished.
  int start_after_answer_of = -1;
  int stay_until_done_of = -1;
};

struct result {
  bool connected = false;
  int refused_status = 0;        // HTTP status of a refused upgrade
  std::string connect_error;
  int close_code = 0;            // close code the node sent (0 = we closed)
  std::string close_reason;
  int turns_spoken = 0;
  int turns_answered = 0;        // reply audio arrived
  int turns_failed = 0;          // no reply audio within reply_timeout
  std::vector<double> latency_ms;
  uint64_t media_frames = 0;     // reply audio frames received
  uint64_t frames_sent = 0;      // the caller's own 20 ms media frames sent
  uint64_t media_bytes = 0;      // decoded audio bytes received
  uint64_t clears = 0;
  std::vector<double> barge_in_ms;  // first frame spoken over a reply -> its clear
  uint64_t marks = 0;            // marks after a whole reply, echoed
  uint64_t sentence_marks = 0;   // marks after one sentence of a reply, echoed
  uint64_t gaps = 0;             // playback of a reply ran dry > 2 frame periods mid-reply
  uint64_t stale_frames = 0;     // reply audio received after a clear while still speaking
  double max_buffered_ms = 0;    // most reply audio held, not yet played, as a message came
  double cleared_ms = 0;         // reply audio held and not played when a clear emptied it
  uint64_t marks_out_of_order = 0;  // a mark named before one already received (turn-N.K)
  bool finished = false;         // hung up by script, or closed by the node
  std::vector<audio_bytes> replies;  // keep_reply_audio: each reply's audio as received
};

// Live figures, written by the engine's loop and readable from any thread.
class engine_stats {
public:
  std::atomic<int> active{0};
  std::atomic<int> done{0};
  std::atomic<int> answered{0};  // callers that have heard at least one reply
  // Calls refused or not connected, closed by the node with an error code, or with a
  // turn that got no reply.
  std::atomic<int> failed{0};
  std::atomic<int64_t> max_tick_lag_us{0};  // worst lateness of the 20 ms timer

  void add_latency(double ms);
  void add_lag(double ms);
  std::vector<double> latencies() const;  // turn latencies so far (ms)
  std::vector<double> lags() const;       // lateness of every tick so far (ms)

private:
  mutable std::mutex m_;
  std::vector<double> latency_ms_;
  std::vector<double> lag_ms_;
};

class engine {
public:
  engine(std::string host, uint16_t port);
  ~engine();
  // Adds a caller that connects at `start_after` from run() start.
  void add(script s, millis start_after = millis{0});
  // At most this many calls connecting or connected at once (0 = no limit): a caller
  // due to start waits for a free place.
  void set_concurrency(int max_in_flight);
  // Runs until every caller finished or `timeout`; returns false on timeout.
  bool run(millis timeout);
  const std::vector<result>& results() const;
  const engine_stats& stats() const;
  void request_stop();  // from another thread (e.g. a signal)

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sb::caller
