#include "net/codec/session_json.hpp"

#include <nlohmann/json.hpp>

namespace sb::codec {

namespace {

using nlohmann::json;
constexpr int snapshot_version = 1;

bool text(const json& j, const char* k, std::string& out) {
  auto i = j.find(k);
  if (i == j.end() || !i->is_string())
    return false;
  out = i->get<std::string>();
  return true;
}

template <class T>
bool number(const json& j, const char* k, T& out) {
  auto i = j.find(k);
  if (i == j.end() || !i->is_number_integer())
    return false;
  auto v = i->get<int64_t>();
  if (v < 0)
    return false;
  out = static_cast<T>(v);
  return true;
}

} // namespace

std::string snapshot_to_json(const session_snapshot& s) {
  json h = json::array();
  for (auto& m : s.history)
    h.push_back({{"role", m.role}, {"content", m.content}});
  json j = {{"v", snapshot_version},  {"call_id", s.call_id},   {"node", s.node},
            {"stream_sid", s.stream_sid}, {"turn", s.turn},     {"state", s.state},
            {"started_at", s.started_at}, {"updated_at", s.updated_at},
            {"resumes", s.resumes},   {"history", std::move(h)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool snapshot_from_json(const std::string& t, session_snapshot& out, std::string& error) {
  auto j = json::parse(t, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "not a JSON object";
    return false;
  }
  int v = 0;
  if (!number(j, "v", v) || v != snapshot_version) {
    error = "snapshot version " + (j.contains("v") ? j["v"].dump() : std::string{"missing"}) +
            ", expected " + std::to_string(snapshot_version);
    return false;
  }
  session_snapshot s;
  if (!text(j, "call_id", s.call_id) || !text(j, "node", s.node) ||
      !text(j, "stream_sid", s.stream_sid) || !text(j, "state", s.state) ||
      !number(j, "turn", s.turn) || !number(j, "started_at", s.started_at) ||
      !number(j, "updated_at", s.updated_at) || !number(j, "resumes", s.resumes)) {
    error = "a field is missing or has the wrong type";
    return false;
  }
  auto h = j.find("history");
  if (h == j.end() || !h->is_array()) {
    error = "history is not an array";
    return false;
  }
  for (auto& m : *h) {
    chat_message c;
    if (!m.is_object() || !text(m, "role", c.role) || !text(m, "content", c.content) ||
        (c.role != "user" && c.role != "assistant")) {
      error = "a history message is not {role: user|assistant, content}";
      return false;
    }
    s.history.push_back(std::move(c));
  }
  out = std::move(s);
  return true;
}

} // namespace sb::codec
