#include "net/codec/call_record_json.hpp"

namespace sb::codec {

using nlohmann::json;

namespace {

json ms_or_null(int64_t v) {
  return v < 0 ? json(nullptr) : json(v);
}

} // namespace

json call_record_json(const call_record& c) {
  return {{"call_id", c.call_id},
          {"status", c.status},
          {"dialect", c.dialect},
          {"stream_sid", c.stream_sid},
          {"from", c.from},
          {"to", c.to},
          {"agent", c.agent},
          {"node", c.node},
          {"started_at", c.started_at},
          {"ended_at", c.ended_at == 0 ? json(nullptr) : json(c.ended_at)},
          {"end_reason", c.end_reason},
          {"turns", c.turns},
          {"latency_ms", {{"p50", ms_or_null(c.latency_p50_ms)},
                          {"max", ms_or_null(c.latency_max_ms)}}}};
}

json call_lookup_json(const call_lookup& c) {
  auto j = call_record_json(c.call);
  json t = json::array();
  for (auto& e : c.transcript)
    t.push_back({{"speaker", e.speaker},
                 {"text", e.text},
                 {"at", e.started_at},
                 {"ended_at", e.ended_at},
                 {"turn", e.turn},
                 {"interrupted", e.interrupted},
                 {"latency_ms", ms_or_null(e.latency_ms)}});
  j["transcript"] = std::move(t);
  return j;
}

} // namespace sb::codec
