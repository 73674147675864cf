// One authenticated connection from the console to a node (CAF middleman, optional TLS).
#pragma once

#include <memory>
#include <string>

#include "runtime/console_client/console.hpp"

namespace sb::console_tool {

class session {
public:
  session();
  ~session();
  // Connects to args.connect and proves the secret. False with `error` on failure.
  bool open(const console_args& args, std::string& error);
  // Runs one command on the node. True with its answer as JSON text (rendered here from
  // the node's console_answer), or false with `error`.
  bool run(const std::string& line, std::string& json, std::string& error);
  const std::string& node_name() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sb::console_tool
