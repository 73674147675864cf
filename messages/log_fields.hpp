// Fields of a log line about a call, apart from its message: the call id (the telephony
// call sid) and the stream sid. A field_logger writes through spdlog with its fields set
// for the line; runtime/logging.cpp renders them as JSON members (log.format = json) or
// a "[call_id stream_sid]" prefix (text). The node's name is on every line already.
#pragma once

#include <string>
#include <utility>

#include <spdlog/spdlog.h>

namespace sb {

struct log_fields {
  std::string call_id;     // "" until the call's start event
  std::string stream_sid;
  bool empty() const { return call_id.empty() && stream_sid.empty(); }
};

// The fields of the line being written on this thread, or nullptr (spdlog formats in
// the calling thread: the logger is synchronous).
inline thread_local const log_fields* current_log_fields = nullptr;

class field_logger {
public:
  log_fields fields;

  template <class... Ts>
  void log(spdlog::level::level_enum level, spdlog::format_string_t<Ts...> fmt,
           Ts&&... args) const {
    if (!spdlog::should_log(level))
      return;
    auto* outer = current_log_fields;
    current_log_fields = &fields;
    spdlog::log(level, fmt, std::forward<Ts>(args)...);
    current_log_fields = outer;
  }
  template <class... Ts> void debug(spdlog::format_string_t<Ts...> f, Ts&&... a) const {
    log(spdlog::level::debug, f, std::forward<Ts>(a)...);
  }
  template <class... Ts> void info(spdlog::format_string_t<Ts...> f, Ts&&... a) const {
    log(spdlog::level::info, f, std::forward<Ts>(a)...);
  }
  template <class... Ts> void warn(spdlog::format_string_t<Ts...> f, Ts&&... a) const {
    log(spdlog::level::warn, f, std::forward<Ts>(a)...);
  }
  template <class... Ts> void error(spdlog::format_string_t<Ts...> f, Ts&&... a) const {
    log(spdlog::level::err, f, std::forward<Ts>(a)...);
  }
};

} // namespace sb
