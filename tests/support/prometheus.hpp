// A real Prometheus server (the Debian `prometheus` binary) scraping a node on loopback,
// for tests of what an operator's monitoring sees. Its data lives in the test's dir.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/processes.hpp"

namespace sb::test {

struct prometheus_server {
  child proc;
  uint16_t port = 0;
  std::string dir;
  // Starts Prometheus in `dir` (config, data and log there) scraping `target_port` on
  // 127.0.0.1 every second; returns once it answers /-/ready (throws after 30 s).
  prometheus_server(const std::string& dir, uint16_t target_port);
  // GET /api/v1/query?query=EXPR: the `data.result` array, or an empty array.
  nlohmann::json query(const std::string& expr);
  std::string log() const;
};

// A Prometheus text exposition parsed into "name{labels}" -> value (labels as printed).
std::map<std::string, double> parse_exposition(const std::string& text);

} // namespace sb::test
