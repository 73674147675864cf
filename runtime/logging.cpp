#include "runtime/logging.hpp"

#include <memory>

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "messages/log_fields.hpp"

namespace sb {

namespace {

std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
}

void append(spdlog::memory_buf_t& dest, const std::string& s) {
  dest.append(s.data(), s.data() + s.size());
}

// %* renders the message as a JSON string (quotes and escapes included).
class json_message_flag : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    append(dest, json_string({msg.payload.data(), msg.payload.size()}));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_message_flag>();
  }
};

// %& renders the line's call fields (messages/log_fields.hpp): in JSON as members
// (,"call_id":"CA..","stream_sid":"MZ.."), in text as a "[CA.. MZ..] " prefix; nothing
// on a line that is not about a call.
class call_fields_flag : public spdlog::custom_flag_formatter {
public:
  explicit call_fields_flag(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto* f = current_log_fields;
    if (!f || f->empty())
      return;
    if (json_)
      append(dest, ",\"call_id\":" + json_string(f->call_id) +
                     ",\"stream_sid\":" + json_string(f->stream_sid));
    else
      append(dest, "[" + f->call_id + " " + f->stream_sid + "] ");
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<call_fields_flag>(json_);
  }

private:
  bool json_;
};

} // namespace

void setup_logging(const log_section& cfg, const std::string& node_name) {
  auto logger = spdlog::stderr_logger_mt("switchboard");
  const bool json = cfg.format == "json";
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<call_fields_flag>('&', json);
  if (json) {
    // The node's name is letters, digits, '.', '-' and '_' (checked in the config): no
    // escaping needed, and no '%' for the pattern to take as a flag.
    f->add_flag<json_message_flag>('*').set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","node":)" + json_string(node_name) +
      R"(,"thread":%t%&,"msg":%*})");
  } else {
    f->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [t%t] %&%v");
  }
  logger->set_formatter(std::move(f));
  logger->set_level(spdlog::level::from_str(cfg.level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

} // namespace sb
