#include "tests/support/raw_ws.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace sb::test {

namespace {

using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

std::string frame_header(size_t len, uint8_t opcode) {
  std::string h;
  h.push_back(static_cast<char>(0x80 | opcode));
  if (len < 126) {
    h.push_back(static_cast<char>(0x80 | len));
  } else if (len <= 0xFFFF) {
    h.push_back(static_cast<char>(0x80 | 126));
    h.push_back(static_cast<char>(len >> 8));
    h.push_back(static_cast<char>(len & 0xFF));
  } else {
    h.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i)
      h.push_back(static_cast<char>((static_cast<uint64_t>(len) >> (8 * i)) & 0xFF));
  }
  h.append(4, '\0');  // mask key 0: payload bytes go out as they are
  return h;
}

} // namespace

raw_ws::raw_ws(const std::string& source_ip, uint16_t port, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  if (rcvbuf > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, source_ip.c_str(), &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    ::close(fd);
    return;
  }
  fd_ = fd;
}

raw_ws::raw_ws(raw_ws&& o) noexcept : fd_(o.fd_), in_(std::move(o.in_)) { o.fd_ = -1; }

raw_ws& raw_ws::operator=(raw_ws&& o) noexcept {
  std::swap(fd_, o.fd_);
  std::swap(in_, o.in_);
  return *this;
}

raw_ws::~raw_ws() { drop(); }

void raw_ws::drop() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

bool raw_ws::write_all(const std::string& data) {
  size_t off = 0;
  while (fd_ >= 0 && off < data.size()) {
    auto n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    off += static_cast<size_t>(n);
  }
  return fd_ >= 0;
}

raw_ws::reply raw_ws::upgrade(const std::string& path, const std::vector<std::string>& headers,
                              std::chrono::milliseconds timeout) {
  reply r;
  std::string req = "GET " + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n";
  for (auto& h : headers)
    req += h + "\r\n";
  req += "\r\n";
  if (!write_all(req))
    return r;
  auto deadline = clock::now() + timeout;
  size_t head_end;
  while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) <= 0)
      return r;
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0)
      return r;
    in_.append(buf, static_cast<size_t>(n));
  }
  std::string head = in_.substr(0, head_end);
  in_.erase(0, head_end + 4);
  r.status = std::atoi(head.c_str() + head.find(' ') + 1);
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    auto next = head.find("\r\n", pos + 2);
    auto line = head.substr(pos + 2, next == std::string::npos ? std::string::npos
                                                               : next - pos - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
    }
    pos = next;
  }
  if (r.status == 101)
    return r;
  size_t length = r.headers.count("content-length")
                    ? static_cast<size_t>(std::atol(r.headers["content-length"].c_str()))
                    : 0;
  while (in_.size() < length) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) <= 0)
      break;
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    in_.append(buf, static_cast<size_t>(n));
  }
  r.body = in_.substr(0, length);
  in_.clear();
  return r;
}

bool raw_ws::send_text(const std::string& payload) {
  return write_all(frame_header(payload.size(), 0x1) + payload);
}

bool raw_ws::send_binary(const std::string& payload) {
  return write_all(frame_header(payload.size(), 0x2) + payload);
}

bool raw_ws::send_twilio_start(const std::string& call_sid) {
  nlohmann::json start{
    {"event", "start"},
    {"streamSid", "MZ" + call_sid},
    {"start",
     {{"streamSid", "MZ" + call_sid},
      {"accountSid", "ACraw"},
      {"callSid", call_sid},
      {"tracks", {"inbound"}},
      {"mediaFormat", {{"encoding", "audio/x-mulaw"}, {"sampleRate", 8000}, {"channels", 1}}}}}};
  return send_text(R"({"event":"connected","protocol":"Call","version":"1.0.0"})") &&
         send_text(start.dump());
}

bool raw_ws::send_twilio_media(const std::string& stream_sid, const std::string& mulaw_b64) {
  nlohmann::json media{{"event", "media"},
                       {"streamSid", stream_sid},
                       {"media", {{"track", "inbound"}, {"payload", mulaw_b64}}}};
  return send_text(media.dump());
}

bool raw_ws::wait_ended(std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  while (fd_ >= 0) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) <= 0)
      return false;
    char buf[16384];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0)
      return true;
  }
  return true;
}

std::optional<raw_ws::close_info> raw_ws::parse_close() {
  while (in_.size() >= 2) {
    auto b0 = static_cast<uint8_t>(in_[0]);
    auto b1 = static_cast<uint8_t>(in_[1]);
    size_t len = b1 & 0x7F;
    size_t hdr = 2;
    if (len == 126) {
      if (in_.size() < 4)
        return std::nullopt;
      len = (static_cast<uint8_t>(in_[2]) << 8) | static_cast<uint8_t>(in_[3]);
      hdr = 4;
    } else if (len == 127) {
      if (in_.size() < 10)
        return std::nullopt;
      len = 0;
      for (int i = 0; i < 8; ++i)
        len = (len << 8) | static_cast<uint8_t>(in_[2 + i]);
      hdr = 10;
    }
    if (in_.size() < hdr + len)
      return std::nullopt;
    if ((b0 & 0x0F) == 0x8) {
      close_info c;
      if (len >= 2)
        c.code = (static_cast<uint8_t>(in_[hdr]) << 8) | static_cast<uint8_t>(in_[hdr + 1]);
      if (len > 2)
        c.reason = in_.substr(hdr + 2, len - 2);
      in_.erase(0, hdr + len);
      return c;
    }
    if (keep_texts_ && (b0 & 0x0F) == 0x1)
      texts_.push_back(in_.substr(hdr, len));
    in_.erase(0, hdr + len);  // other frames are not what these tests look at
  }
  return std::nullopt;
}

std::optional<raw_ws::close_info> raw_ws::read_close(std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  while (fd_ >= 0) {
    if (auto c = parse_close())
      return c;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) <= 0)
      return std::nullopt;
    char buf[16384];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0)
      return parse_close();
    in_.append(buf, static_cast<size_t>(n));
  }
  return std::nullopt;
}

bool raw_ws::read_available(std::string& why) {
  while (true) {
    char buf[16384];
    auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return true;
    why = n == 0 ? "the node ended the connection" : std::string("read: ") + strerror(errno);
    return false;
  }
}

std::optional<raw_ws::close_info> raw_ws::read_close_talking(const std::string& stream_sid,
                                                             const std::string& mulaw_b64,
                                                             std::chrono::milliseconds every,
                                                             std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  auto next_frame = clock::now();
  keep_texts_ = true;
  size_t echoed = 0;  // texts_ looked at for marks
  std::optional<close_info> close;
  while (fd_ >= 0 && clock::now() < deadline) {
    if (clock::now() >= next_frame) {
      if (!send_twilio_media(stream_sid, mulaw_b64))
        break;  // what was read before the failed write is still parsed below
      next_frame += every;
    }
    auto wait = std::min(remaining_ms(next_frame), remaining_ms(deadline));
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, wait) < 0)
      break;
    std::string why;
    bool open = read_available(why);
    close = parse_close();
    for (; echoed < texts_.size(); ++echoed) {
      auto j = nlohmann::json::parse(texts_[echoed], nullptr, false);
      if (!close && open && j.is_object() && j.value("event", "") == "mark")
        send_text(nlohmann::json{{"event", "mark"}, {"streamSid", stream_sid},
                                 {"mark", j["mark"]}}.dump());
    }
    if (close || !open)
      break;
  }
  keep_texts_ = false;
  if (!close) {
    std::string why;
    read_available(why);
    close = parse_close();
  }
  return close;
}

bool raw_ws::answer_close(const std::string& stream_sid, const std::string& mulaw_b64,
                          int frames, std::chrono::milliseconds every, std::string& why) {
  for (int i = 0; i < frames; ++i) {
    if (!send_twilio_media(stream_sid, mulaw_b64)) {
      why = "media frame " + std::to_string(i + 1) + " after the close frame: " +
            strerror(errno);
      return false;
    }
    auto until = clock::now() + every;
    while (remaining_ms(until) > 0) {
      pollfd p{fd_, POLLIN, 0};
      poll(&p, 1, remaining_ms(until));
      if (!read_available(why)) {
        why += " before our close reply";
        return false;
      }
    }
  }
  const std::string code{'\x03', '\xe8'};  // 1000
  if (!write_all(frame_header(code.size(), 0x8) + code)) {
    why = std::string("close reply: ") + strerror(errno);
    return false;
  }
  auto deadline = clock::now() + std::chrono::seconds{10};
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) <= 0) {
      why = "the node kept the connection 10 s after our close reply";
      return false;
    }
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0)
      return true;
    if (n < 0) {
      why = std::string("after our close reply: ") + strerror(errno);
      return false;
    }
  }
}

std::optional<raw_ws::close_info> raw_ws::send_huge_text(size_t bytes,
                                                         std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  std::string out = frame_header(bytes, 0x1);
  const std::string chunk(64 * 1024, 'x');
  size_t payload_sent = 0;
  size_t off = 0;  // into `out`
  while (fd_ >= 0 && clock::now() < deadline) {
    if (off == out.size() && payload_sent < bytes) {
      auto n = std::min(chunk.size(), bytes - payload_sent);
      out.assign(chunk, 0, n);
      off = 0;
      payload_sent += n;
    }
    bool writing = off < out.size();
    pollfd p{fd_, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
    if (poll(&p, 1, remaining_ms(deadline)) <= 0)
      return std::nullopt;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[16384];
      auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0)
        in_.append(buf, static_cast<size_t>(n));
      if (auto c = parse_close())
        return c;
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
        return std::nullopt;
    }
    if (writing && (p.revents & POLLOUT)) {
      auto n = ::send(fd_, out.data() + off, out.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0)
        off += static_cast<size_t>(n);
      else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return read_close(std::chrono::milliseconds{remaining_ms(deadline)});
    }
    if (off == out.size() && payload_sent == bytes)
      return read_close(std::chrono::milliseconds{remaining_ms(deadline)});
  }
  return std::nullopt;
}

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

} // namespace sb::test
