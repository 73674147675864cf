// The caller's audio sent on one STT connection and not yet covered by a final result:
// after the connection is lost it is sent again, first, on the next one. At most `window`
// bytes are kept (the oldest go first), in one byte queue rather than a buffer per 20 ms
// frame: 2 s of mu-law is 16,000 bytes here, where 100 frames of 160 bytes each cost
// about 21 KB with their allocations. Offsets count the bytes sent on the connection.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "messages/audio.hpp"

namespace sb::net {

class replay_buffer {
public:
  // `align`: bytes of one sample (2 for 16-bit PCM): audio is dropped in whole samples.
  replay_buffer(size_t window, size_t align) : window_(window), align_(align ? align : 1) {}

  // Audio just written; the connection's offset moves past it.
  void sent(const uint8_t* data, size_t n) {
    bytes_.insert(bytes_.end(), data, data + n);
    end_ += n;
    if (bytes_.size() > window_)
      drop_front(bytes_.size() - window_);
  }

  // A final result covers the connection's audio up to `offset`: that need not go again.
  void covered(uint64_t offset) {
    offset -= offset % align_;
    if (offset > begin())
      drop_front(static_cast<size_t>(std::min<uint64_t>(offset - begin(), bytes_.size())));
  }

  // Everything kept, oldest first, in messages of at most `max_message` bytes (whole
  // samples); the buffer is then empty and the next connection's offsets start at 0.
  std::vector<audio_bytes> take(size_t max_message) {
    std::vector<audio_bytes> out;
    size_t step = std::max(align_, max_message - max_message % align_);
    for (auto i = bytes_.begin(); i != bytes_.end();) {
      auto n = std::min<size_t>(step, static_cast<size_t>(bytes_.end() - i));
      out.emplace_back(i, i + static_cast<std::ptrdiff_t>(n));
      i += static_cast<std::ptrdiff_t>(n);
    }
    clear();
    return out;
  }

  void clear() {
    bytes_.clear();
    bytes_.shrink_to_fit();
    end_ = 0;
  }

  size_t size() const { return bytes_.size(); }
  uint64_t end() const { return end_; }  // bytes sent on this connection
  uint64_t begin() const { return end_ - bytes_.size(); }

private:
  void drop_front(size_t n) {
    n -= n % align_;
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(n));
  }

  size_t window_;
  size_t align_;
  std::deque<uint8_t> bytes_;
  uint64_t end_ = 0;
};

} // namespace sb::net
