// Paths in a config file: a file the node reads, written as a relative path, is found
// next to the config file (relative to its directory), wherever the node was started
// from; one given with --set is relative to the working directory; absolute paths are
// kept. A file that is not there is reported at the key that names it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "tests/support/config_checks.hpp"

using namespace sb::test::config;

namespace {

// Runs `f` with the working directory set to `dir`, then puts it back.
template <class F> auto from(const fs::path& dir, F f) {
  auto cwd = fs::current_path();
  fs::current_path(dir);
  auto r = f();
  fs::current_path(cwd);
  return r;
}

const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

} // namespace

TEST_CASE("config paths: relative to the config file's directory, from any working "
          "directory") {
  temp_dir conf, elsewhere;
  fs::create_directories(conf.path / "dialogs");
  fs::create_directories(conf.path / "certs");
  conf.write("dialogs/d.ini", "[dialog]\nstart = a\n[state a]\nsay = Hello.\n"
                              "on = yes -> b\n[state b]\nsay = Bye.\naction = hangup\n");
  conf.write("certs/ca.pem", pem);
  conf.write("certs/node.pem", "x");
  conf.write("certs/node.key", "x");
  auto ini = conf.write("c.ini", "[cluster]\ntls_cert = certs/node.pem\ntls_key = certs/node.key\n"
                                 "tls_ca = ./certs/ca.pem\n\n[llm]\nprovider = scripted\n"
                                 "dialog = dialogs/d.ini\nca_file = certs/ca.pem\n\n"
                                 "[stt]\nca_file = certs/../certs/ca.pem\n\n[tts]\n"
                                 "ca_file = certs/ca.pem\n");
  auto r = from(elsewhere.path, [&] { return load_config(ini, {}); });
  CHECK(messages(r) == strings{});
  auto at = [&](const char* p) { return (conf.path / p).string(); };
  CHECK(r.config.llm.dialog == at("dialogs/d.ini"));
  CHECK(r.config.llm.ca_file == at("certs/ca.pem"));
  CHECK(r.config.stt.ca_file == at("certs/ca.pem"));
  CHECK(r.config.tts.ca_file == at("certs/ca.pem"));
  CHECK(r.config.cluster.tls_cert == at("certs/node.pem"));
  CHECK(r.config.cluster.tls_key == at("certs/node.key"));
  CHECK(r.config.cluster.tls_ca == at("certs/ca.pem"));
  // The config named by a relative path: the same files.
  auto rel = from(conf.path / "dialogs", [&] { return load_config("../c.ini", {}); });
  CHECK(messages(rel) == strings{});
  CHECK(rel.config.llm.dialog == at("dialogs/d.ini"));
}

TEST_CASE("config paths: --set is relative to the working directory, absolute paths stay") {
  temp_dir conf, work;
  work.write("ca.pem", pem);
  auto ini = conf.write("c.ini", "[llm]\nca_file = " + (work.path / "ca.pem").string() + "\n");
  auto r = from(work.path, [&] { return load_config(ini, {"stt.ca_file=ca.pem"}); });
  CHECK(messages(r) == strings{});
  CHECK(r.config.llm.ca_file == (work.path / "ca.pem").string());
  CHECK(r.config.stt.ca_file == "ca.pem");
  // The defaults (absolute) and values that are no files are untouched.
  CHECK(r.config.stt.acoustic_model == "/usr/share/pocketsphinx/model/en-us/en-us");
  auto store = from(work.path, [&] {
    return load_config(conf.write("s.ini", "[store]\ntranscripts = sqlite:t.db\n"), {});
  });
  CHECK(store.config.store.transcripts == "sqlite:t.db");  // written where the node runs
}

TEST_CASE("config paths: a missing file is reported at its key, with the path looked at") {
  temp_dir conf, elsewhere;
  auto ini = conf.write("c.ini", "[llm]\nprovider = scripted\ndialog = dialogs/none.ini\n\n"
                                 "[stt]\nca_file = none.pem\n");
  auto r = from(elsewhere.path, [&] { return load_config(ini, {}); });
  CHECK(messages(r) ==
        strings{ini + ":6: [stt] ca_file: cannot read '" + (conf.path / "none.pem").string() +
                  "' ('" + (conf.path / "none.pem").string() + "')",
                ini + ":3: [llm] dialog: cannot read '" +
                  (conf.path / "dialogs/none.ini").string() + "'"});
}
