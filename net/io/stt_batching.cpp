// Caller audio to the STT stream in fewer, larger messages ([stt] send_interval).
//
// Every 20 ms frame as its own WebSocket message costs a system call for the write (and,
// as a masked client frame, another for its mask's random bytes) on the node and a wake-up
// on the provider. Deepgram takes 20-250 ms of audio per message, so frames are held back
// and go together once send_interval of audio has queued (or on the I/O tick once the
// oldest has waited that long). The audio, its order and the stream's byte offsets are
// exactly the same; only the number of writes changes.
//
// Two moments are time-critical, and there frames go at once: when the caller starts
// speaking (the provider's voice activity and first words drive barge-in) and when they
// stop (the provider needs the silence after the last word, `endpointing` of it, before
// it finalises the utterance: every ms held back there is a ms more before the reply).
#include <chrono>

#include "net/codec/audio_codec.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/provider_hub.hpp"

namespace sb::net {

namespace {

// On the 16-bit scale: above a quiet line's noise, below soft speech. It decides only
// when a frame is written, never what is sent.
constexpr double voice_rms = 300;
// Frames go at once for this long after the caller's voice starts.
constexpr int onset_ms = 200;
// ...and after it stops: the provider's endpointing window, a frame more, at most 1 s.
int offset_ms(std::chrono::milliseconds endpointing) {
  return static_cast<int>(std::min<int64_t>(endpointing.count() + 40, 1000));
}

} // namespace

void provider_hub::stt_send_audio(stt_stream& s, audio_bytes audio) {
  const auto& o = loop_.options().stt_of(s.route);
  const auto per_ms = bytes_per_ms(s.encoding);
  const auto frame_ms = static_cast<int>(audio.size() / per_ms);
  bool voice = codec::rms(audio.data(), audio.size(), s.encoding) > voice_rms;
  if (voice != s.voice) {
    s.voice = voice;
    s.prompt_ms = voice ? onset_ms : offset_ms(o.endpointing);
  }
  bool prompt = s.prompt_ms > 0;
  s.prompt_ms = std::max(0, s.prompt_ms - frame_ms);
  s.batch_bytes += audio.size();
  s.out.push_back({std::move(audio), true});
  const auto interval = static_cast<size_t>(o.send_interval.count());
  if (prompt || s.batch_bytes >= interval * per_ms) {
    stt_flush(s);
    return;
  }
  if (s.batch_bytes == s.out.back().bytes.size()) {  // the first frame of a new batch
    s.batch_since = steady::now();
    stt_batching_.insert(s.id);
  }
}

void provider_hub::stt_flush(stt_stream& s) {
  s.batch_bytes = 0;
  if (s.out.empty() || !s.open || !s.wsi)
    return;
  // The socket took every earlier write whole: write now (coalescing all queued audio
  // into one message) rather than a poll round later. lws keeps and flushes any part the
  // socket does not take; what is left waits for WRITEABLE.
  if (!lws_partial_buffered(s.wsi)) {
    if (!stt_write_front(s)) {
      lws_set_timeout(s.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
      return;
    }
  }
  if (!s.out.empty())
    lws_callback_on_writable(s.wsi);
}

void provider_hub::stt_flush_batches(steady::time_point now) {
  if (stt_batching_.empty())
    return;
  std::vector<stream_id> due;
  for (auto id : stt_batching_) {
    auto i = stt_.find(id);
    if (i == stt_.end() || i->second->batch_bytes == 0) {
      due.push_back(id);  // sent meanwhile, or gone: only forgotten
      continue;
    }
    auto& s = *i->second;
    if (now - s.batch_since >= loop_.options().stt_of(s.route).send_interval)
      due.push_back(id);
  }
  for (auto id : due) {
    stt_batching_.erase(id);
    auto i = stt_.find(id);
    if (i != stt_.end() && i->second->batch_bytes > 0)
      stt_flush(*i->second);
  }
}

} // namespace sb::net
