// How reply audio goes out ahead of its playback ([call] send_ahead). Twilio and Exotel
// buffer what they are sent and play it in order (a `clear` empties that buffer), so the
// node need not send one 20 ms frame every 20 ms: it sends messages of `chunk_frames`
// frames, and the next one once what it has sent ends within `refill` of now. The caller
// then holds between `refill` and `refill + chunk` of audio (at most the lead), and a
// reply costs a write per chunk instead of one per frame.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace sb::net {

struct send_plan {
  size_t chunk_frames = 1;            // frames per message
  std::chrono::milliseconds refill{0};  // send once what was sent ends within this of now

  // `lead` 0 (or under two frames): one frame a message, each when it is due, as a
  // real-time stream. Otherwise messages of half the lead (whole frames), so the lead
  // never runs below half of itself.
  static send_plan of(std::chrono::milliseconds lead, std::chrono::milliseconds frame) {
    send_plan p;
    if (frame.count() <= 0)
      return p;
    auto frames = static_cast<size_t>((lead / 2) / frame);
    p.chunk_frames = std::max<size_t>(1, frames);
    auto chunk = frame * static_cast<int64_t>(p.chunk_frames);
    p.refill = std::max(std::chrono::milliseconds{0}, lead - chunk);
    return p;
  }
};

} // namespace sb::net
