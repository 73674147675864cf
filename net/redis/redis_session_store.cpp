#include "net/redis/redis_session_store.hpp"

#include <hiredis/hiredis.h>

#include "net/codec/session_json.hpp"

namespace sb {

redis_session_store::redis_session_store(std::string host, uint16_t port,
                                         std::chrono::milliseconds timeout)
  : conn_(std::move(host), port, timeout) {}

std::optional<std::string> redis_session_store::write(const session_batch& b,
                                                      std::chrono::milliseconds ttl) {
  std::string why;
  auto* ctx = conn_.get(why);
  if (!ctx)
    return describe() + ": " + why;
  auto ms = std::to_string(std::max<int64_t>(1, ttl.count()));
  size_t sent = 0;
  for (auto& s : b.puts) {
    auto key = key_of(s.call_id), value = codec::snapshot_to_json(s);
    redisAppendCommand(ctx, "SET %b %b PX %s", key.data(), key.size(), value.data(),
                       value.size(), ms.c_str());
    ++sent;
  }
  for (auto& id : b.removes) {
    auto key = key_of(id);
    redisAppendCommand(ctx, "DEL %b", key.data(), key.size());
    ++sent;
  }
  for (auto& id : b.touches) {
    auto key = key_of(id);
    redisAppendCommand(ctx, "PEXPIRE %b %s", key.data(), key.size(), ms.c_str());
    ++sent;
  }
  std::optional<std::string> error;
  for (size_t i = 0; i < sent; ++i) {
    void* reply = nullptr;
    if (redisGetReply(ctx, &reply) != REDIS_OK || !reply)
      return describe() + ": no answer: " + conn_.lost();
    auto* r = static_cast<redisReply*>(reply);
    if (r->type == REDIS_REPLY_ERROR && !error)
      error = describe() + ": " + redis_connection::text_of(r);
    freeReplyObject(r);
  }
  return error;
}

session_snapshot redis_session_store::get(const std::string& call_id, std::string& error) {
  session_snapshot out;
  auto* ctx = conn_.get(error);
  if (!ctx) {
    error = describe() + ": " + error;
    return out;
  }
  auto key = key_of(call_id);
  auto* r = static_cast<redisReply*>(redisCommand(ctx, "GET %b", key.data(), key.size()));
  if (!r) {
    error = describe() + ": no answer: " + conn_.lost();
    return out;
  }
  if (r->type == REDIS_REPLY_STRING) {
    std::string why;
    if (!codec::snapshot_from_json(std::string(r->str, r->len), out, why))
      error = describe() + ": " + key + " is not a snapshot: " + why;
    else if (out.call_id != call_id)
      error = describe() + ": " + key + " holds the snapshot of call " + out.call_id;
    else
      out.found = true;
    if (!error.empty())
      out = session_snapshot{};
  } else if (r->type == REDIS_REPLY_ERROR) {
    error = describe() + ": " + redis_connection::text_of(r);
  }
  freeReplyObject(r);
  return out;
}

} // namespace sb
