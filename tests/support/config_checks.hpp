// Helpers for the config tests (tests/test_config*.cpp): a temporary directory and the
// loader's errors as "FILE:LINE: message".
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/config/config.hpp"
#include "runtime/config/values.hpp"

namespace sb::test::config {

namespace fs = std::filesystem;
using sb::load_config;

// A fresh directory under the system temp dir, removed with everything in it.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "sb-config-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    auto p = (path / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
};

inline std::vector<std::string> messages(const sb::config_result& r) {
  std::vector<std::string> out;
  for (auto& e : r.errors)
    out.push_back(e.to_string());
  return out;
}

// Loads `text` as a file named c.ini and returns its errors as "c.ini:LINE: message".
inline std::vector<std::string> errors_of(const std::string& text) {
  temp_dir dir;
  auto r = load_config(dir.write("c.ini", text), {});
  std::vector<std::string> out;
  for (auto& e : r.errors)
    out.push_back((e.file == "--set" ? e.file : fs::path(e.file).filename().string()) +
                  ":" + std::to_string(e.line) + ": " + e.message);
  return out;
}

using strings = std::vector<std::string>;

} // namespace sb::test::config
