#include "runtime/cluster/cluster_board.hpp"

#include <nlohmann/json.hpp>

namespace sb::cluster {

void cluster_board::update(std::vector<member_info> members) {
  std::lock_guard<std::mutex> guard{mutex_};
  members_ = std::move(members);
}

std::vector<member_info> cluster_board::members() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return members_;
}

std::string cluster_board::json() const {
  auto ms = members();
  nlohmann::json list = nlohmann::json::array();
  size_t up = 0;
  for (auto& m : ms) {
    nlohmann::json j{{"name", m.name},
                     {"address", m.address},
                     {"state", to_string(m.state)},
                     {"active_calls", m.active_calls},
                     {"capacity", m.capacity},
                     {"draining", m.draining},
                     {"last_heard_ms", m.last_heard_ms}};
    if (m.state == member_state::down)
      j["down_reason"] = m.down_reason;
    up += m.state == member_state::up ? 1 : 0;
    list.push_back(std::move(j));
  }
  return nlohmann::json{{"self", ms.empty() ? "" : ms.front().name},
                        {"size", ms.size()},
                        {"up", up},
                        {"members", std::move(list)}}
    .dump();
}

} // namespace sb::cluster
