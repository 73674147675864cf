#include "tools/provider_sim/limits.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace sb::sim {

namespace {

constexpr std::array<const char*, 4> api_names{"stt", "llm", "tts_elevenlabs",
                                               "tts_deepgram"};

} // namespace

lease& lease::operator=(lease&& o) noexcept {
  if (this != &o) {
    release();
    c_ = o.c_;
    api_ = o.api_;
    key_ = std::move(o.key_);
    o.c_ = nullptr;
  }
  return *this;
}

void lease::release() {
  if (c_) c_->release(api_, key_);
  c_ = nullptr;
}

void usage_counters::settle(usage& u) const {
  auto now = std::chrono::steady_clock::now();
  while (!u.lingering.empty() && u.lingering.front() <= now) {
    u.lingering.pop_front();
    if (u.current > 0) --u.current;
  }
}

bool usage_counters::admit(api a, const std::string& key, unsigned limit) {
  auto& u = by_api_[static_cast<size_t>(a)][key];
  settle(u);
  if (limit != 0 && u.current >= limit) {
    ++u.refused;
    return false;
  }
  return true;
}

lease usage_counters::acquire(api a, const std::string& key, unsigned limit) {
  if (!admit(a, key, limit)) return {};
  auto& u = by_api_[static_cast<size_t>(a)][key];
  ++u.current;
  ++u.total;
  u.peak = std::max(u.peak, u.current);
  return lease{*this, a, key};
}

void usage_counters::release(api a, const std::string& key) {
  auto& m = by_api_[static_cast<size_t>(a)];
  auto it = m.find(key);
  if (it == m.end() || it->second.current == 0) return;
  if (lag_.count() > 0)
    it->second.lingering.push_back(std::chrono::steady_clock::now() + lag_);
  else
    --it->second.current;
}

uint64_t usage_counters::current(api a, const std::string& key) const {
  auto& m = by_api_[static_cast<size_t>(a)];
  auto it = m.find(key);
  if (it == m.end()) return 0;
  settle(it->second);
  return it->second.current;
}

void usage_counters::reset() {
  for (auto& m : by_api_)
    for (auto& [key, u] : m) {
      u.peak = u.current;
      u.refused = 0;
      u.total = 0;
    }
}

nlohmann::ordered_json usage_counters::to_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t i = 0; i < by_api_.size(); ++i) {
    nlohmann::ordered_json keys = nlohmann::ordered_json::object();
    for (auto& [key, u] : by_api_[i]) {
      settle(u);
      keys[key] = {{"current", u.current},
                   {"peak", u.peak},
                   {"refused", u.refused},
                   {"total", u.total}};
    }
    j[api_names[i]] = std::move(keys);
  }
  return j;
}

} // namespace sb::sim
