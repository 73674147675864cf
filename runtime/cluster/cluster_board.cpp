#include "runtime/cluster/cluster_board.hpp"

#include "runtime/console/console_json.hpp"

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
    up += m.state == member_state::up ? 1 : 0;
    list.push_back(console::member_json(m));  // the same shape as the console's `nodes`
  }
  return nlohmann::json{{"self", ms.empty() ? "" : ms.front().name},
                        {"size", ms.size()},
                        {"up", up},
                        {"members", std::move(list)}}
    .dump();
}

} // namespace sb::cluster
