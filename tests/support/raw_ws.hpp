// A bare WebSocket client over a blocking TCP socket, for admission and flood tests: binds
// to any loopback source address (127.0.0.0/8 is all local), sends upgrades with any
// headers, raw frames of any size, and reads the node's answer. Every read is bounded by a
// timeout (no sleeps).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sb::test {

class raw_ws {
public:
  // Connects from `source_ip` to 127.0.0.1:port; ok() is false when that failed.
  // `rcvbuf` > 0 sets SO_RCVBUF before connecting (a small window: a reader that is slow).
  raw_ws(const std::string& source_ip, uint16_t port, int rcvbuf = 0);
  raw_ws(raw_ws&& o) noexcept;
  raw_ws& operator=(raw_ws&& o) noexcept;
  raw_ws(const raw_ws&) = delete;
  ~raw_ws();
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  struct reply {
    int status = 0;                              // 101 when upgraded, 0 when no answer
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
  };
  // Sends the upgrade request (extra headers as "Name: value") and reads the answer.
  reply upgrade(const std::string& path, const std::vector<std::string>& headers = {},
                std::chrono::milliseconds timeout = std::chrono::seconds{10});

  bool send_text(const std::string& payload);
  bool send_binary(const std::string& payload);
  // Bytes as they are (an HTTP request written slowly, a frame in pieces).
  bool send_raw(const std::string& bytes) { return write_all(bytes); }
  // A Twilio media event carrying `mulaw_b64` (one 20 ms frame, base64).
  bool send_twilio_media(const std::string& stream_sid, const std::string& mulaw_b64);
  // A Twilio connected + start (call sid CA<n>), as a caller sends them on connecting.
  bool send_twilio_start(const std::string& call_sid);
  // One text frame of `bytes` bytes, written while reading what the node answers; stops
  // early once the node has closed. Returns the close frame seen, if any.
  struct close_info {
    int code = 0;
    std::string reason;
  };
  std::optional<close_info> send_huge_text(size_t bytes,
                                           std::chrono::milliseconds timeout);
  // Reads frames until a close frame (returned) or the connection ends / times out.
  std::optional<close_info> read_close(std::chrono::milliseconds timeout);
  // Reads and discards until the node has closed the connection (true) or `timeout`.
  bool wait_ended(std::chrono::milliseconds timeout);
  // A caller whose audio keeps coming: reads until the node's close frame while sending a
  // Twilio media frame (`mulaw_b64`) every `every`, and echoes the node's marks. The text
  // frames read before the close are kept in texts().
  std::optional<close_info> read_close_talking(const std::string& stream_sid,
                                               const std::string& mulaw_b64,
                                               std::chrono::milliseconds every,
                                               std::chrono::milliseconds timeout);
  const std::vector<std::string>& texts() const { return texts_; }
  // The caller's half of the close handshake once the node's close frame has arrived:
  // `frames` more media frames `every` apart (audio already on its way), then its own
  // close frame. True when the node took every one of them and then ended the connection
  // with a FIN, having waited for that reply; false when a write failed or the connection
  // was reset or ended before the reply (`why` says which).
  bool answer_close(const std::string& stream_sid, const std::string& mulaw_b64, int frames,
                    std::chrono::milliseconds every, std::string& why);
  // Closes the socket (no close frame: a caller that vanishes).
  void drop();

private:
  bool write_all(const std::string& data);
  // Parses frames out of in_; returns a close frame if one is complete.
  std::optional<close_info> parse_close();
  // Reads what has arrived (without waiting): false once the connection has ended or
  // failed (`why` says how).
  bool read_available(std::string& why);
  int fd_ = -1;
  std::string in_;
  bool keep_texts_ = false;
  std::vector<std::string> texts_;
};

// Raises this process's open-file limit to its hard limit (the nodes it starts inherit it).
void raise_fd_limit();

} // namespace sb::test
