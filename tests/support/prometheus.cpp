#include "tests/support/prometheus.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/wait.hpp"

namespace sb::test {

namespace {

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

} // namespace

prometheus_server::prometheus_server(const std::string& d, uint16_t target_port) : dir(d) {
  {
    std::ofstream cfg(dir + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
           "scrape_configs:\n  - job_name: switchboard\n    static_configs:\n"
           "      - targets: ['127.0.0.1:"
        << target_port << "']\n";
  }
  // The port was free a moment ago; another process may take it first: try again.
  for (int attempt = 0; attempt < 3 && !port; ++attempt) {
    auto p = free_loopback_port();
    proc = child({"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                  "--storage.tsdb.path=" + dir + "/data",
                  "--web.listen-address=127.0.0.1:" + std::to_string(p)},
                 dir + "/prometheus.log");
    bool ready = wait_until(
      [&] { return !proc.running() || http_request(p, "GET", "/-/ready").status == 200; },
      std::chrono::seconds{30});
    if (ready && proc.running())
      port = p;
  }
  if (!port)
    throw std::runtime_error("prometheus did not start; see " + dir + "/prometheus.log");
}

nlohmann::json prometheus_server::query(const std::string& expr) {
  auto j = get_json(port, "/api/v1/query?query=" + url_encode(expr));
  if (j.value("status", "") != "success")
    return nlohmann::json::array();
  return j["data"].value("result", nlohmann::json::array());
}

std::string prometheus_server::log() const {
  std::ifstream f(dir + "/prometheus.log");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::map<std::string, double> parse_exposition(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    auto sp = line.rfind(' ');
    if (sp == std::string::npos)
      continue;
    out[line.substr(0, sp)] = std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return out;
}

} // namespace sb::test
