// What config errors show of the file: never the cluster secret.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/config/config.hpp"

using Catch::Matchers::Contains;

namespace {

// Loads `text` as a config file and returns its errors, one per line.
std::string errors_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  std::string path = "/tmp/sb-unit-config-" + std::to_string(getpid()) + ".ini";
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  auto r = sb::load_config(path, overrides);
  std::remove(path.c_str());
  std::string out;
  for (auto& e : r.errors)
    out += e.to_string() + "\n";
  return out;
}

} // namespace

TEST_CASE("config: a malformed line that names the secret is not quoted in its error") {
  // Found by fuzz_config: "secret x" was hidden, "cluster.secret x" (the --set spelling
  // without '=') was quoted whole, secret and all.
  for (const char* line : {"secret Kx7pQ2mZ9wR4tB6n", "cluster.secret Kx7pQ2mZ9wR4tB6n",
                           "cluster.secretKx7pQ2mZ9wR4tB6n", "  Cluster.Secret Kx7pQ2mZ9wR4tB6n"}) {
    INFO(line);
    auto errors = errors_of(std::string("[cluster]\n") + line + "\n");
    CHECK_THAT(errors, Contains(":2: expected 'key = value' or '[section]'"));
    CHECK_THAT(errors, Contains("(text hidden)"));
    CHECK(errors.find("Kx7pQ2mZ9wR4tB6n") == std::string::npos);
  }
  // Other malformed lines are still quoted, so the operator sees what is wrong.
  CHECK_THAT(errors_of("[node]\nmax_calls 20\n"), Contains("got 'max_calls 20'"));
}

TEST_CASE("config: a malformed --set that names the secret is not quoted in its error") {
  // Found by fuzz_config: only text starting "cluster.secret" was hidden; "secret = X"
  // (no section) was quoted whole.
  for (const char* set : {"secret = Kx7pQ2mZ9wR4tB6n", "secret=Kx7pQ2mZ9wR4tB6n",
                          "cluster.secretKx7pQ2mZ9wR4tB6n", "Cluster.Secret Kx7pQ2mZ9wR4tB6n"}) {
    INFO(set);
    auto errors = errors_of("", {set});
    CHECK_THAT(errors, Contains("--set:1: expected SECTION.KEY=VALUE"));
    CHECK_THAT(errors, Contains("(value hidden)"));
    CHECK(errors.find("Kx7pQ2mZ9wR4tB6n") == std::string::npos);
  }
  CHECK_THAT(errors_of("", {"max_calls=20"}), Contains("got 'max_calls=20'"));
}

TEST_CASE("config: an unknown key that holds more than 'secret' is not quoted") {
  // Found by fuzz_config: "secret Kx7pQ2mZ9w = 0" is the key 'secret Kx7pQ2mZ9w', quoted
  // whole in its error. 'secret' alone, in the wrong section, is still named.
  auto errors = errors_of("[node]\nsecret Kx7pQ2mZ9w = 0\nsecret = x\n");
  CHECK_THAT(errors, Contains(":2: unknown key (a name with 'secret', hidden) in [node]"));
  CHECK_THAT(errors, Contains(":3: unknown key 'secret' in [node]"));
  CHECK(errors.find("Kx7pQ2mZ9w") == std::string::npos);
  auto set = errors_of("", {"node.secretKx7pQ2mZ9w=1"});
  CHECK_THAT(set, Contains("unknown key (a name with 'secret', hidden) in [node]"));
  CHECK(set.find("Kx7pQ2mZ9w") == std::string::npos);
}

TEST_CASE("config: text after a header and keys outside any section hide the secret too") {
  auto errors = errors_of("cluster.secret = Kx7pQ2mZ9w\n[cluster] secret Kx7pQ2mZ9w\n");
  CHECK_THAT(errors, Contains(":1: key (a name with 'secret', hidden) is outside any section"));
  CHECK_THAT(errors, Contains(":2: unexpected text after [cluster]: a 'secret' line (text hidden)"));
  CHECK(errors.find("Kx7pQ2mZ9w") == std::string::npos);
}
