// What an operator's monitoring sees of a node: the Prometheus metrics after real calls
// (checked by promtool and scraped by a real Prometheus server), the CloudWatch EMF
// lines of the auto-scaling signal, and the Grafana dashboard's queries.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <functional>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "runtime/emf.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/prometheus.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;
using sb::test::get_json;

namespace {

// Short replies: 5 ms of audio per character, no provider latency.
const std::vector<std::string> fast_sim{"--tts-ms-per-char", "5"};

std::string metrics_of(uint16_t port) {
  return sb::test::http_request(port, "GET", "/metrics").body;
}

int active_calls(uint16_t port) {
  return get_json(port, "/api/v1/stats").value("active_calls", -1);
}

// One caller that keeps talking (for up to a minute) until the object goes.
struct held_call {
  sb::caller::engine e;
  std::thread runner;
  explicit held_call(uint16_t port) : e("127.0.0.1", port) {
    sb::caller::script s;
    s.turns = 1000;
    s.max_duration = 60s;
    e.add(s);
    runner = std::thread([this] { e.run(90s); });
  }
  ~held_call() {
    e.request_stop();
    runner.join();
  }
};

// Runs a command through the shell; its exit code and what it printed (stdout+stderr).
std::pair<int, std::string> run_shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p)
    return {-1, "popen failed"};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::vector<json> emf_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"_aws\"") == std::string::npos)
      continue;
    out.push_back(json::parse(line, nullptr, false));  // discarded when not one object
  }
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The metric names a PromQL expression reads: identifiers outside strings, label
// matchers, range selectors and by/without groups that are not functions or keywords.
std::set<std::string> metric_names(std::string expr) {
  expr = std::regex_replace(expr, std::regex(R"("([^"\\]|\\.)*")"), "\"\"");
  expr = std::regex_replace(expr, std::regex(R"(\{[^}]*\})"), " ");
  expr = std::regex_replace(expr, std::regex(R"(\[[^\]]*\])"), " ");
  expr = std::regex_replace(expr, std::regex(R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"), " ");
  static const std::set<std::string> keywords{"and", "or", "unless", "bool", "offset", "inf",
                                              "nan"};
  std::set<std::string> names;
  std::regex ident(R"([A-Za-z_:][A-Za-z0-9_:]*(\s*\()?)");
  for (std::sregex_iterator i(expr.begin(), expr.end(), ident), end; i != end; ++i) {
    auto m = i->str();
    if (m.back() == '(')
      continue;  // a function
    if (keywords.count(m) == 0)
      names.insert(m);
  }
  return names;
}

} // namespace

TEST_CASE("after a call, /metrics has every series a dashboard needs, and promtool accepts it") {
  sb::test::stack st(fast_sim, {});
  sb::caller::engine e("127.0.0.1", st.node_port);
  sb::caller::script s;
  s.turns = 2;
  e.add(s);
  REQUIRE(e.run(60s));
  REQUIRE(e.results().at(0).turns_answered == 2);
  REQUIRE(sb::test::wait_until([&] { return active_calls(st.node_port) == 0; }));
  // The pools' stats come every 500 ms: wait for the waits of the call's leases.
  std::map<std::string, double> m;
  CHECK(sb::test::wait_until([&] {
    m = sb::test::parse_exposition(metrics_of(st.node_port));
    return m[R"(switchboard_pool_wait_seconds_count{pool="llm"})"] >= 2;
  }));
  INFO(st.node_log());
  CHECK(m["switchboard_active_calls"] == 0);
  CHECK(m["switchboard_calls_started_total"] == 1);
  CHECK(m[R"(switchboard_calls_ended_total{outcome="caller_stop"})"] == 1);
  CHECK(m["switchboard_call_duration_seconds_count"] == 1);
  CHECK(m["switchboard_call_duration_seconds_sum"] > 1.0);  // two turns take seconds
  CHECK(m["switchboard_turn_latency_seconds_count"] == 2);
  // One LLM request per turn; TTS one per sentence; STT a final transcript per utterance.
  CHECK(m[R"(switchboard_provider_latency_seconds_count{provider="llm",stage="first_token"})"] == 2);
  CHECK(m[R"(switchboard_provider_latency_seconds_count{provider="tts",stage="first_audio_byte"})"] >= 2);
  CHECK(m[R"(switchboard_provider_latency_seconds_count{provider="stt",stage="transcript"})"] >= 2);
  auto stt_sum = m[R"(switchboard_provider_latency_seconds_sum{provider="stt",stage="transcript"})"];
  CHECK(stt_sum > 0);
  CHECK(stt_sum < 10);  // the simulator answers within its endpointing time, not seconds
  CHECK(m[R"(switchboard_pool_acquired_total{pool="stt"})"] == 1);
  CHECK(m[R"(switchboard_pool_capacity{pool="llm"})"] == 50);
  CHECK(m[R"(switchboard_breaker_state{pool="tts"})"] == 0);
  CHECK(m[R"(switchboard_telephony_frames_total{direction="in"})"] > 50);
  CHECK(m[R"(switchboard_telephony_frames_total{direction="out"})"] > 2);
  CHECK(m["switchboard_telephony_sessions_total"] == 1);
  CHECK(m[R"(switchboard_admission_refusals_total{reason="capacity"})"] == 0);
  // No metric of the old sb_ names is left.
  for (auto& [name, v] : m)
    CHECK(name.rfind("switchboard_", 0) == 0);

  auto dir = sb::test::temp_dir("sb-promtool");
  std::ofstream(dir + "/metrics.txt") << metrics_of(st.node_port);
  auto [code, out] = run_shell("/usr/bin/promtool check metrics < " + dir + "/metrics.txt");
  INFO(out);
  CHECK(code == 0);
  CHECK(out.empty());  // no lint remarks either
}

TEST_CASE("provider latency follows each provider's delay, stage by stage") {
  // The simulator waits 400 ms before each final transcript, 300 ms before the first
  // token, 200 ms before the first audio chunk.
  sb::test::stack st({"--tts-ms-per-char", "5", "--stt-final-latency", "400",
                      "--llm-first-token", "300", "--tts-first-byte", "200"},
                     {});
  sb::caller::engine e("127.0.0.1", st.node_port);
  sb::caller::script s;
  s.turns = 2;
  e.add(s);
  REQUIRE(e.run(60s));
  REQUIRE(e.results().at(0).turns_answered == 2);
  auto m = sb::test::parse_exposition(metrics_of(st.node_port));
  auto mean = [&](const char* provider, const char* stage) {
    std::string l = std::string("{provider=\"") + provider + "\",stage=\"" + stage + "\"}";
    auto n = m["switchboard_provider_latency_seconds_count" + l];
    return n > 0 ? m["switchboard_provider_latency_seconds_sum" + l] / n : -1.0;
  };
  INFO(st.node_log());
  CHECK(mean("stt", "transcript") >= 0.4);
  CHECK(mean("stt", "transcript") < 0.4 + 1.5);  // the simulator's endpointing at most
  CHECK(mean("llm", "first_token") >= 0.3);
  CHECK(mean("llm", "first_token") < 0.3 + 0.5);
  CHECK(mean("tts", "first_audio_byte") >= 0.2);
  CHECK(mean("tts", "first_audio_byte") < 0.2 + 0.5);
  // A turn waits for the final transcript, then the first token and the first audio.
  CHECK(m["switchboard_turn_latency_seconds_sum"] / m["switchboard_turn_latency_seconds_count"] >=
        0.3 + 0.2);
}

TEST_CASE("a Prometheus server scraping a node answers how many calls are active") {
  sb::test::stack st(fast_sim, {});
  sb::test::prometheus_server prom(st.dir, st.node_port);
  auto value = [&](const std::string& expr) -> double {
    auto r = prom.query(expr);
    if (r.size() != 1)
      return -1;
    return std::stod(r[0]["value"][1].get<std::string>());
  };
  INFO(prom.log());
  {
    held_call call(st.node_port);
    REQUIRE(sb::test::wait_until([&] { return active_calls(st.node_port) == 1; }));
    CHECK(sb::test::wait_until([&] { return value("switchboard_active_calls") == 1; }, 30s));
    auto r = prom.query("switchboard_active_calls");
    REQUIRE(r.size() == 1);
    CHECK(r[0]["metric"]["job"] == "switchboard");
    CHECK(r[0]["metric"]["instance"] == "127.0.0.1:" + std::to_string(st.node_port));
    CHECK(value(R"(up{job="switchboard"})") == 1);  // the scrape parsed
  }
  // The caller hung up: the next scrapes say so.
  CHECK(sb::test::wait_until([&] { return value("switchboard_active_calls") == 0; }, 30s));
  CHECK(value("switchboard_calls_started_total") == 1);
  CHECK(prom.proc.stop(SIGTERM) == 0);
}

TEST_CASE("the node writes a CloudWatch EMF line per interval carrying ActiveCalls") {
  sb::test::stack st(fast_sim, {"node.name=edge-7", "metrics.emf_interval=200ms",
                                "metrics.emf_namespace=VoiceAgent",
                                "metrics.emf_dimensions=AutoScalingGroupName=voice-asg",
                                "metrics.emf_file={dir}/emf.log"});
  const auto file = st.dir + "/emf.log";
  auto with_calls = [&](int n) {
    for (auto& j : emf_lines(read_text(file)))
      if (j.is_object() && j.value("ActiveCalls", -1) == n)
        return true;
    return false;
  };
  {
    held_call call(st.node_port);
    CHECK(sb::test::wait_until([&] { return with_calls(1); }));
  }
  CHECK(sb::test::wait_until([&] { return active_calls(st.node_port) == 0; }));
  auto before = emf_lines(read_text(file)).size();
  CHECK(sb::test::wait_until([&] { return emf_lines(read_text(file)).size() >= before + 2; }));
  auto lines = emf_lines(read_text(file));
  REQUIRE(lines.size() >= 3);
  CHECK(lines.back()["ActiveCalls"] == 0);
  int64_t last_ts = 0;
  bool saw_one = false;
  for (auto& j : lines) {
    REQUIRE(j.is_object());  // each line is one JSON object, nothing else
    auto& aws = j["_aws"];
    auto ts = aws["Timestamp"].get<int64_t>();
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
    CHECK(ts <= now);
    CHECK(ts > now - 120000);
    CHECK(ts > last_ts);
    last_ts = ts;
    REQUIRE(aws["CloudWatchMetrics"].size() == 1);
    auto& d = aws["CloudWatchMetrics"][0];
    CHECK(d["Namespace"] == "VoiceAgent");
    CHECK(d["Dimensions"] == json::parse(R"([["AutoScalingGroupName"]])"));
    CHECK(d["Metrics"] == json::parse(R"([{"Name":"ActiveCalls","Unit":"Count"}])"));
    CHECK(j["AutoScalingGroupName"] == "voice-asg");  // the dimension, a string member
    CHECK(j["Node"] == "edge-7");                     // a log field only
    CHECK(j["ActiveCalls"].is_number_integer());
    saw_one = saw_one || j["ActiveCalls"] == 1;
  }
  CHECK(saw_one);
  // One line per interval (200 ms), not more.
  auto span = last_ts - lines.front()["_aws"]["Timestamp"].get<int64_t>();
  CHECK(static_cast<int64_t>(lines.size()) <= span / 200 + 2);
}

TEST_CASE("without emf_file the EMF lines go to standard output, whole, beside the logs") {
  sb::test::stack st(fast_sim, {"node.name=edge-8", "metrics.emf_interval=100ms"});
  std::vector<json> lines;
  REQUIRE(sb::test::wait_until([&] {
    lines = emf_lines(st.node_log());
    return lines.size() >= 3;
  }));
  for (auto& j : lines) {
    REQUIRE(j.is_object());
    CHECK(j["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Switchboard");
    CHECK(j["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == json::parse(R"([["Node"]])"));
    CHECK(j["Node"] == "edge-8");  // the default dimension: {node}
    CHECK(j["ActiveCalls"] == 0);
  }
}

TEST_CASE("emf_interval = 0s (the default) writes no EMF line") {
  // When the interval is set, the first line is written before the node listens (and so
  // before the stack sees its port): its absence now is the answer.
  sb::test::stack on(fast_sim, {"metrics.emf_interval=60m"});
  CHECK(emf_lines(on.node_log()).size() == 1);
  sb::test::stack off(fast_sim, {});
  CHECK(emf_lines(off.node_log()).empty());
}

TEST_CASE("emf_line: dimensions in order, {node} replaced, Node kept as a field") {
  sb::metrics_section cfg;
  cfg.emf_namespace = "NS";
  cfg.emf_dimensions = {{"AutoScalingGroupName", "asg-{node}"}, {"Stage", "prod"}};
  auto j = json::parse(sb::emf_line(cfg, "n1", 12, 1760000000000));
  CHECK(j == json::parse(R"({"_aws":{"Timestamp":1760000000000,"CloudWatchMetrics":[
    {"Namespace":"NS","Dimensions":[["AutoScalingGroupName","Stage"]],
     "Metrics":[{"Name":"ActiveCalls","Unit":"Count"}]}]},
    "AutoScalingGroupName":"asg-n1","Stage":"prod","ActiveCalls":12,"Node":"n1"})"));
  CHECK(sb::emf_line(cfg, "n1", 0, 1).find('\n') == std::string::npos);
}

TEST_CASE("every metric the Grafana dashboard queries is in the node's /metrics") {
  auto dash = json::parse(read_text(std::string(SB_SOURCE_DIR) + "/deploy/grafana/switchboard.json"));
  std::vector<std::string> exprs;
  std::function<void(const json&)> walk = [&](const json& panels) {
    for (auto& p : panels) {
      for (auto& t : p.value("targets", json::array()))
        exprs.push_back(t.at("expr").get<std::string>());
      walk(p.value("panels", json::array()));
    }
  };
  walk(dash.at("panels"));
  // Variables: label_values(METRIC, LABEL) reads METRIC.
  std::vector<std::string> variable_metrics;
  for (auto& v : dash["templating"]["list"])
    if (v.value("type", "") == "query") {
      std::smatch sm;
      auto def = v.at("definition").get<std::string>();
      REQUIRE(std::regex_match(def, sm, std::regex(R"(label_values\((\w+), *\w+\))")));
      variable_metrics.push_back(sm[1]);
    }
  REQUIRE(exprs.size() >= 20);
  REQUIRE(variable_metrics.size() == 1);

  sb::test::stack st(fast_sim, {});
  std::map<std::string, double> m;
  REQUIRE(sb::test::wait_until([&] {
    m = sb::test::parse_exposition(metrics_of(st.node_port));
    return m.count(R"(switchboard_pool_active{pool="tts"})") == 1;
  }));
  std::set<std::string> exported;
  for (auto& [series, v] : m)
    exported.insert(series.substr(0, series.find('{')));
  std::set<std::string> queried;
  for (auto& n : variable_metrics)
    CHECK(exported.count(n) == 1);
  for (auto& e : exprs) {
    auto names = metric_names(e);
    INFO(e);
    CHECK(!names.empty());  // every query reads at least one metric
    for (auto& n : names) {
      INFO(n);
      CHECK(exported.count(n) == 1);
      queried.insert(n);
    }
  }
  // The dashboard covers calls, latency, pools and admission.
  for (auto* n : {"switchboard_active_calls", "switchboard_turn_latency_seconds_bucket",
                  "switchboard_provider_latency_seconds_bucket", "switchboard_pool_active",
                  "switchboard_pool_wait_seconds_bucket", "switchboard_breaker_state",
                  "switchboard_admission_refusals_total"})
    CHECK(queried.count(n) == 1);
}

TEST_CASE("metric_names finds the metrics of a PromQL expression, not its functions") {
  CHECK(metric_names(R"(histogram_quantile(0.9, sum by (le, pool) (rate(a_bucket{x=~"$y"}[$__rate_interval]))))") ==
        std::set<std::string>{"a_bucket"});
  CHECK(metric_names("sum(rate(a_total[5m])) + b / on (pool) c") ==
        std::set<std::string>{"a_total", "b", "c"});
  CHECK(metric_names("swichboard_active_calls").count("swichboard_active_calls") == 1);
}

TEST_CASE("an emf_file that cannot be opened stops the start with the reason") {
  auto dir = sb::test::temp_dir("sb-it");
  // procfs refuses writes to /proc/version, whoever asks (root included).
  sb::test::child node({SB_NODE_BIN, "node", "--set", "node.listen=127.0.0.1:0", "--set",
                        "node.cluster_listen=127.0.0.1:0", "--set", "metrics.emf_interval=1s",
                        "--set", "metrics.emf_file=/proc/version"},
                       dir + "/node.log");
  CHECK(node.wait_exit(20s) == 1);
  auto log = read_text(dir + "/node.log");
  INFO(log);
  CHECK(log.find("metrics.emf_file: cannot open '/proc/version': ") != std::string::npos);
  CHECK(log.find("node node-1 listening") == std::string::npos);  // no telephony port
}
