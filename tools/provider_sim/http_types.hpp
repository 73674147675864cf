// Transport-neutral HTTP request/reply model used by the REST handlers (LLM, TTS, /sim).
// The lws glue fills an http_request and streams an http_reply back.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tools/provider_sim/limits.hpp"

namespace sb::sim {

using query_map = std::map<std::string, std::string>;

struct http_request {
  std::string method; // "GET", "POST", ...
  std::string path;   // without the query
  query_map query;
  std::string authorization; // Authorization header
  std::string xi_api_key;    // xi-api-key header (ElevenLabs)
  std::string content_type;
  std::string body;
};

constexpr int64_t never = INT64_MAX;

// The body of a reply, produced piece by piece, each piece due at a monotonic time.
class body_stream {
 public:
  virtual ~body_stream() = default;
  virtual int64_t next_due() const = 0; // `never` once exhausted
  virtual std::string take() = 0;       // the next piece; only when next_due() passed
  virtual uint64_t total_size() const = 0;
};

// A body from a list of timed pieces (JSON, SSE events).
class piece_list final : public body_stream {
 public:
  void add(int64_t due_us, std::string data);
  int64_t next_due() const override;
  std::string take() override;
  uint64_t total_size() const override { return total_; }

 private:
  std::deque<std::pair<int64_t, std::string>> pieces_;
  uint64_t total_ = 0;
};

struct http_reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers; // lower-case names, no colon
  bool chunked = false;              // Transfer-Encoding: chunked; else Content-Length
  std::unique_ptr<body_stream> body; // null = empty body
  int cut_after = -1;       // fault "close": N whole pieces, half of the next, then drop
  bool hang = false;        // fault "hang": never send anything
  bool close_after = false; // close the connection once the reply is sent

  void header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// An immediate JSON reply with Content-Length.
http_reply json_reply(unsigned status, const nlohmann::ordered_json& body);

// A reply plus the concurrency slot it occupies until the reply has been sent.
struct route_result {
  http_reply reply;
  lease slot;
};

// "Bearer abc" with scheme "Bearer" -> "abc"; empty if the scheme differs
// (case-insensitive).
std::string auth_token(const std::string& header, const char* scheme);

} // namespace sb::sim
