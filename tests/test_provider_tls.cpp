// The providers over TLS, as the real services are reached: the simulator serves https://
// and wss:// with a certificate from a CA this test makes; the node verifies it against
// [stt|llm|tts] ca_file. A wrong CA or a certificate for another host fails the stream
// with a clear reason, never an unverified connection.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "tests/support/processes.hpp"
#include "tests/support/wait.hpp"
#include "tools/caller/caller_engine.hpp"

using namespace std::chrono_literals;

namespace {

// A CA, a server certificate it signed for 127.0.0.1, one it signed for another host,
// and an unrelated CA: made with the openssl command line in a fresh directory.
struct tls_files {
  std::string dir = sb::test::temp_dir("sb-tls");
  std::string ca = dir + "/ca.pem";
  std::string other_ca = dir + "/other-ca.pem";
  std::string cert = dir + "/server.pem";
  std::string wrong_host_cert = dir + "/wrong-host.pem";
  std::string key = dir + "/server.key";

  tls_files() {
    auto run = [&](const std::string& cmd) {
      auto full = "cd " + dir + " && " + cmd + " >>openssl.log 2>&1";
      if (std::system(full.c_str()) != 0)
        throw std::runtime_error("openssl failed: " + cmd + " (see " + dir + "/openssl.log)");
    };
    auto self_signed = [&](const std::string& name, const std::string& cn) {
      run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout " + name + ".key -out " +
          name + ".pem -subj '/CN=" + cn + "'");
    };
    self_signed("ca", "switchboard test CA");
    self_signed("other-ca", "another CA");
    run("openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj '/CN=provider'");
    auto sign = [&](const std::string& out, const std::string& san) {
      std::ofstream(dir + "/" + out + ".ext") << "subjectAltName=" << san << "\n";
      run("openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
          "-days 2 -out " + out + ".pem -extfile " + out + ".ext");
    };
    sign("server", "IP:127.0.0.1");
    sign("wrong-host", "DNS:provider.example.com");
  }
};

std::vector<std::string> tls_sets(const std::string& ca) {
  return {"stt.url=wss://127.0.0.1:{sim_port}", "llm.url=https://127.0.0.1:{sim_port}/v1",
          "tts.url=https://127.0.0.1:{sim_port}", "stt.ca_file=" + ca, "llm.ca_file=" + ca,
          "tts.ca_file=" + ca};
}

// The simulator serving TLS with `cert`, a node trusting `ca` for every provider.
sb::test::stack tls_stack(const tls_files& f, const std::string& cert, const std::string& ca) {
  return sb::test::stack({"--tts-ms-per-char", "5", "--tls-cert", cert, "--tls-key", f.key},
                         tls_sets(ca));
}

sb::caller::result one_call(uint16_t port, int turns) {
  sb::caller::engine e("127.0.0.1", port);
  sb::caller::script s;
  s.turns = turns;
  e.add(s);
  REQUIRE(e.run(60s));
  return e.results().at(0);
}

} // namespace

TEST_CASE("a whole call over TLS to every provider, verified against ca_file") {
  tls_files f;
  auto st = tls_stack(f, f.cert, f.ca);
  auto r = one_call(st.node_port, 2);
  INFO(st.node_log());
  CHECK(r.turns_answered == 2);
  // The caller hung up itself (the node may answer its stop with 1000 first).
  CHECK((r.close_code == 0 || r.close_code == 1000));
}

TEST_CASE("over TLS, the LLM and TTS requests of a call reuse their connections") {
  tls_files f;
  auto st = tls_stack(f, f.cert, f.ca);
  auto r = one_call(st.node_port, 3);
  CHECK(r.turns_answered == 3);
  auto sim = sb::test::get_json(st.sim_port, "/sim/stats")["http"];
  INFO(sim.dump());
  CHECK(sim["requests"].get<int>() >= 6);
  CHECK(sim["connections"] == 2);  // one TLS handshake for the LLM, one for TTS
}

TEST_CASE("a provider certificate from another CA fails the stream with the reason") {
  tls_files f;
  auto st = tls_stack(f, f.cert, f.other_ca);
  auto r = one_call(st.node_port, 1);
  INFO(st.node_log());
  CHECK(r.turns_answered == 0);
  CHECK(r.close_code == 1011);
  CHECK(r.close_reason.find("not accepted") != std::string::npos);
  auto log = st.node_log();
  CHECK(log.find("unable to get local issuer certificate") != std::string::npos);
  CHECK(log.find(f.other_ca) != std::string::npos);  // says what it trusted
  // A certificate problem is not retried: the same certificate would come back.
  CHECK(log.find("reopening") == std::string::npos);
}

TEST_CASE("a provider certificate for another host name fails the stream") {
  tls_files f;
  auto st = tls_stack(f, f.wrong_host_cert, f.ca);
  auto r = one_call(st.node_port, 1);
  INFO(st.node_log());
  CHECK(r.close_code == 1011);
  CHECK(r.close_reason.find("mismatch") != std::string::npos);
}

TEST_CASE("without ca_file the system trust store decides, and it does not know the test CA") {
  tls_files f;
  sb::test::stack st({"--tts-ms-per-char", "5", "--tls-cert", f.cert, "--tls-key", f.key},
                     {"stt.url=wss://127.0.0.1:{sim_port}"});
  auto r = one_call(st.node_port, 1);
  INFO(st.node_log());
  CHECK(r.close_code == 1011);
  CHECK(st.node_log().find("the system trust store") != std::string::npos);
}
