#include "runtime/cluster/cluster_board.hpp"

#include "net/codec/console_json.hpp"

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

void cluster_board::set_listen(std::string address) {
  std::lock_guard<std::mutex> guard{mutex_};
  listen_ = std::move(address);
}

void cluster_board::set_coordinator(coordinator_health h) {
  std::lock_guard<std::mutex> guard{mutex_};
  coordinator_ = std::move(h);
}

coordinator_health cluster_board::coordinator() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return coordinator_;
}

std::string cluster_board::json() const {
  auto ms = members();
  std::string listen;
  coordinator_health coordinator;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    listen = listen_;
    coordinator = coordinator_;
  }
  nlohmann::json list = nlohmann::json::array();
  size_t up = 0;
  for (auto& m : ms) {
    up += m.state == member_state::up ? 1 : 0;
    list.push_back(codec::member_json(m));  // the same shape as the console's `nodes`
  }
  nlohmann::json out{{"self", ms.empty() ? "" : ms.front().name},
                     {"size", ms.size()},
                     {"up", up},
                     {"members", std::move(list)}};
  if (!listen.empty())
    out["listen"] = listen;
  if (!coordinator.state.empty())
    out["coordinator"] = {{"state", coordinator.state}, {"reason", coordinator.reason}};
  return out.dump();
}

} // namespace sb::cluster
