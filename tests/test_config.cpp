// Config loading and validation (runtime/config): the file format, errors, overrides,
// value types and the provider sections. The cluster and edge sections are in
// test_config_cluster.cpp and test_config_edge.cpp.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/config_checks.hpp"

using namespace std::chrono_literals;
using namespace sb::test::config;
using strings = std::vector<std::string>;

TEST_CASE("the repository's cluster.ini parses without errors and equals the defaults, "
          "but for its offline providers") {
  // Its lines marked "offline:" set the offline providers and their pools; put back, the
  // file is the documented defaults.
  // Its dialog path is relative to the file: found from the repository's root
  // (scripts/run-local.sh) and from anywhere else.
  auto cwd = fs::current_path();
  fs::current_path(SB_SOURCE_DIR);
  auto offline = load_config("cluster.ini", {});
  temp_dir elsewhere;
  fs::current_path(elsewhere.path);
  auto from_elsewhere = load_config(std::string(SB_SOURCE_DIR) + "/cluster.ini", {});
  fs::current_path(cwd);
  CHECK(messages(offline) == strings{});
  CHECK(messages(from_elsewhere) == strings{});
  auto dialog = (fs::path(SB_SOURCE_DIR) / "dialogs/order-status.ini").lexically_normal();
  CHECK(offline.config.llm.dialog == dialog.string());
  CHECK(from_elsewhere.config.llm.dialog == dialog.string());
  CHECK(offline.config.stt.provider == "sphinx");
  CHECK(offline.config.llm.provider == "scripted");
  CHECK(offline.config.tts.provider == "espeak");
  CHECK(offline.config.pool_stt.max_active == 80);
  CHECK(offline.config.pool_tts.max_active == 40);
  auto r = load_config(std::string(SB_SOURCE_DIR) + "/cluster.ini",
                       {"stt.provider=deepgram", "llm.provider=openai", "llm.dialog=",
                        "tts.provider=elevenlabs", "pool.stt.max_active=20",
                        "pool.tts.max_active=10"});
  CHECK(messages(r) == strings{});
  // The rendering shows every key; the secret is compared directly (it renders hidden).
  CHECK(sb::render_config(r.config) == sb::render_config(sb::node_config{}));
  CHECK(r.config.cluster.secret.empty());
  CHECK((r.config.pool_llm.max_active == 50 && r.config.sessions.ttl == 3600000ms));
}

TEST_CASE("the repository's sim.ini is the defaults: the providers' clients against the "
          "simulator on 127.0.0.1:9300") {
  auto r = load_config(std::string(SB_SOURCE_DIR) + "/sim.ini", {});
  CHECK(messages(r) == strings{});
  CHECK(sb::render_config(r.config) == sb::render_config(sb::node_config{}));
  CHECK(sb::cfg::format_url(r.config.stt.url) == "ws://127.0.0.1:9300");
}

TEST_CASE("an empty path gives the embedded defaults") {
  auto r = load_config("", {});
  CHECK(r.ok());
  CHECK(sb::render_config(r.config) == sb::render_config(sb::node_config{}));
}

TEST_CASE("a file that cannot be opened is one error at line 0") {
  temp_dir dir;
  auto path = (dir.path / "missing.ini").string();
  auto r = load_config(path, {});
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == path);
  CHECK(r.errors[0].line == 0);
  CHECK(r.errors[0].to_string() == path + ":0: cannot open: No such file or directory");
}

TEST_CASE("config_error::to_string is FILE:LINE: message") {
  CHECK(sb::config_error{"a.ini", 7, "boom"}.to_string() == "a.ini:7: boom");
}

TEST_CASE("an unknown section is reported once, at its first key's line") {
  CHECK(
      errors_of(
          "[node]\nname = a\n\n[pool.sst]\n; comment\nmax_active = 3\nmax_queue = 1\n") ==
      strings{"c.ini:6: unknown section [pool.sst] (did you mean [pool.stt]?)"});
  // A section without keys is reported at its header.
  CHECK(errors_of("[bogus]\n[node]\nname = a\n") ==
        strings{"c.ini:1: unknown section [bogus]"});
}

TEST_CASE("an unknown key is reported with its line and a hint") {
  CHECK(errors_of("[node]\nname = a\nmax_call = 5\n") ==
        strings{"c.ini:3: unknown key 'max_call' in [node] (did you mean 'max_calls'?)"});
  CHECK(errors_of("[pool.stt]\nmax_tokens = 5\n") ==
        strings{"c.ini:2: unknown key 'max_tokens' in [pool.stt] ('max_tokens' belongs "
                "in [llm])"});
  CHECK(errors_of("[pool.tts]\nrequests_per_minute = 5\n") ==
        strings{"c.ini:2: unknown key 'requests_per_minute' in [pool.tts] "
                "('requests_per_minute' belongs in [pool.llm])"});
  CHECK(errors_of("[log]\nzzz = 1\n") == strings{"c.ini:2: unknown key 'zzz' in [log]"});
}

TEST_CASE(
    "a duplicate key is an error naming the first line, even across repeated headers") {
  CHECK(
      errors_of("[node]\nmax_calls = 5\n[log]\nlevel = info\n[node]\nmax_calls = 6\n") ==
      strings{"c.ini:6: duplicate key 'max_calls' in [node] (first set on line 2)"});
}

TEST_CASE("malformed lines are reported at their line") {
  CHECK(errors_of("[node\nname = a\n") ==
        strings{"c.ini:1: section header is missing ']': '[node'"});
  CHECK(errors_of("[node]\nname a\n") ==
        strings{"c.ini:2: expected 'key = value' or '[section]', got 'name a'"});
  CHECK(errors_of("name = a\n[node]\n") ==
        strings{"c.ini:1: key 'name' is outside any section (add a [section] header "
                "above it)"});
  CHECK(errors_of("[node] x = 1\n") ==
        strings{"c.ini:1: unexpected text after [node]: 'x = 1'"});
  CHECK(
      errors_of("[cluster]\nsecret hunter2\n") ==
      strings{"c.ini:2: expected 'key = value' or '[section]', got a 'secret' line (text "
              "hidden)"});
  CHECK(errors_of("[]\n") == strings{"c.ini:1: empty section name '[]'"});
  CHECK(errors_of("[node]\n= 5\n") == strings{"c.ini:2: missing key name before '='"});
  CHECK(errors_of("[llm]\nsystem_prompt = one\n   two\n") ==
        strings{"c.ini:3: expected 'key = value' or '[section]', got 'two' "
                "(a value cannot continue on the next line)"});
}

TEST_CASE("bad values are reported as [section] key: what ('value')") {
  CHECK(errors_of("[node]\nmax_calls = 0\n") ==
        strings{"c.ini:2: [node] max_calls: must be from 1 to 100000 ('0')"});
  CHECK(errors_of("[node]\nmax_calls = -3\n") ==
        strings{"c.ini:2: [node] max_calls: must not be negative ('-3')"});
  CHECK(errors_of("[node]\ndrain_timeout = 30\n") ==
        strings{"c.ini:2: [node] drain_timeout: missing unit, write e.g. '30s' or '30ms' "
                "(units: ms, s, m) ('30')"});
  CHECK(errors_of("[stt]\nutterance_end = 500ms\n") ==
        strings{"c.ini:2: [stt] utterance_end: must be from 1s to 1m ('500ms')"});
  CHECK(errors_of("[log]\nlevel = verbose\n") ==
        strings{"c.ini:2: [log] level: must be one of: trace, debug, info, warn, error "
                "('verbose')"});
  CHECK(errors_of("[stt]\nprovider = whisper\n") ==
        strings{"c.ini:2: [stt] provider: must be one of: deepgram, sphinx ('whisper')"});
  CHECK(errors_of("[sessions]\nbackend = redis://localhost\n") ==
        strings{
            "c.ini:2: [sessions] backend: expected memory or redis://HOST:PORT: missing "
            "port, expected HOST:PORT (e.g. 127.0.0.1:8080) ('redis://localhost')"});
  CHECK(errors_of("[store]\ntranscripts = mysql://x\n") ==
        strings{"c.ini:2: [store] transcripts: expected sqlite:PATH "
                "(e.g. sqlite:transcripts.db) or postgresql://USER@HOST:PORT/DATABASE "
                "('mysql://x')"});
  CHECK(errors_of("[admission]\ntrusted_ips = 10.0.0.1, 10.0.0.300\n") ==
        strings{"c.ini:2: [admission] trusted_ips: '10.0.0.300' is not an IPv4 or IPv6 "
                "address (or CIDR) ('10.0.0.1, 10.0.0.300')"});
  CHECK(errors_of("[cluster]\nseeds = a:1, b\n") ==
        strings{"c.ini:2: [cluster] seeds: 'b': missing port, expected HOST:PORT "
                "(e.g. 127.0.0.1:8080) ('a:1, b')"});
}

TEST_CASE("all problems of a file are reported, in line order") {
  std::string text = "[node]\n"           // 1
                     "max_calls = lots\n" // 2
                     "listen = :80\n"     // 3
                     "[wat]\n"            // 4
                     "x = 1\n"            // 5
                     "[log]\n"            // 6
                     "format = xml\n"     // 7
                     "colour = yes\n"     // 8
                     "format = json\n";   // 9
  auto errs = errors_of(text);
  REQUIRE(errs.size() == 6);
  CHECK(errs[0] == "c.ini:2: [node] max_calls: not a whole number ('lots')");
  CHECK(errs[1] ==
        "c.ini:3: [node] listen: missing host before ':', expected HOST:PORT (':80')");
  CHECK(errs[2] == "c.ini:5: unknown section [wat]");
  CHECK(errs[3] == "c.ini:7: [log] format: must be one of: text, json ('xml')");
  CHECK(errs[4].rfind("c.ini:8: unknown key 'colour' in [log]", 0) == 0);
  // A key set twice is a duplicate even when its first value was rejected.
  CHECK(errs[5] == "c.ini:9: duplicate key 'format' in [log] (first set on line 7)");
}

TEST_CASE("lines longer than inih's buffer keep their value and the line count") {
  std::string prompt(600, 'p');
  std::string text = "[llm]\n; " + std::string(400, 'c') + "\nsystem_prompt = " + prompt +
                     " ; trailing comment\n" + std::string(300, 'x') +
                     "\nmax_history = x\n";
  temp_dir dir;
  auto r = load_config(dir.write("c.ini", text), {});
  CHECK(r.config.llm.system_prompt == prompt);
  auto errs = messages(r);
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].find(".ini:4: expected 'key = value' or '[section]'") !=
        std::string::npos);
  CHECK(errs[1].find(".ini:5: [llm] max_history: not a whole number ('x')") !=
        std::string::npos);
  // A long bad value is shortened in the message.
  auto long_bad = errors_of("[node]\nname = " + std::string(250, 'n') + "\n");
  REQUIRE(long_bad.size() == 1);
  CHECK(long_bad[0] == "c.ini:2: [node] name: must be 1 to 64 characters ('" +
                           std::string(80, 'n') + "...')");
}

TEST_CASE("indentation, inline comments, CRLF, ':' and a BOM are accepted") {
  temp_dir dir;
  auto r = load_config(dir.write("c.ini", "\xEF\xBB\xBF[node]\r\n"
                                          "  name = edge-7   ; inline comment\r\n"
                                          "\tmax_calls: 12\r\n"
                                          "# hash comment\r\n"
                                          "[call]\r\n"
                                          "greeting = Press #1;  then ;wait\r\n"),
                       {});
  CHECK(messages(r) == strings{});
  CHECK(r.config.node.name == "edge-7");
  CHECK(r.config.node.max_calls == 12);
  CHECK(r.config.call.greeting == "Press #1;  then");
}

TEST_CASE("overrides apply after the file and win over its values") {
  temp_dir dir;
  auto path = dir.write(
      "c.ini", "[node]\nmax_calls = 10\nname = from-file\n[pool.stt]\nmax_active = 4\n");
  auto r = load_config(path, {"node.max_calls=20", "pool.stt.max_active = 7",
                              "llm.system_prompt=Be terse.",
                              "pool.llm.requests_per_minute=60", "node.max_calls=30"});
  CHECK(messages(r) == strings{});
  CHECK(r.config.node.max_calls == 30); // the last --set wins
  CHECK(r.config.node.name == "from-file");
  CHECK(r.config.pool_stt.max_active == 7);
  CHECK(r.config.pool_llm.requests_per_minute == 60);
  CHECK(r.config.llm.system_prompt == "Be terse.");
  // Overrides also work without a file.
  CHECK(load_config("", {"log.level=debug"}).config.log.level == "debug");
}

TEST_CASE("a bad override is reported as --set:N") {
  auto r = load_config("", {"log.level=debug", "node.max_calls=0", "nodes.name=x",
                            "node.nam=x", "node.name", "call.greeting=hi ; there"});
  auto errs = messages(r);
  REQUIRE(errs.size() == 5);
  CHECK(errs[0] == "--set:2: [node] max_calls: must be from 1 to 100000 ('0')");
  CHECK(errs[1] == "--set:3: unknown section [nodes] (did you mean [node]?)");
  CHECK(errs[2] == "--set:4: unknown key 'nam' in [node] (did you mean 'name'?)");
  CHECK(errs[3] ==
        "--set:5: expected SECTION.KEY=VALUE (e.g. pool.stt.max_active=5), got "
        "'node.name'");
  CHECK(errs[4].rfind("--set:6: [call] greeting: ';' after a space would start a comment",
                      0) == 0);
}

TEST_CASE("durations take ms, s or m") {
  using sb::cfg::parse_duration;
  sb::millis d{};
  CHECK(parse_duration("250ms", 0ms, 3600000ms, d) == "");
  CHECK(d == 250ms);
  CHECK(parse_duration("30s", 0ms, 3600000ms, d) == "");
  CHECK(d == 30000ms);
  CHECK(parse_duration("2m", 0ms, 3600000ms, d) == "");
  CHECK(d == 120000ms);
  CHECK(parse_duration("0s", 0ms, 3600000ms, d) == "");
  CHECK(d == 0ms);
  CHECK(parse_duration("30", 0ms, 60000ms, d).rfind("missing unit", 0) == 0);
  CHECK(parse_duration("1.5s", 0ms, 60000ms, d).rfind("fractions are not allowed", 0) ==
        0);
  CHECK(parse_duration("5d", 0ms, 60000ms, d) == "unknown unit 'd' (use ms, s or m)");
  CHECK(parse_duration("2h", 0ms, 60000ms, d) ==
        "unknown unit 'h' (use ms, s or m: write '120m')");
  CHECK(parse_duration("5 s", 0ms, 60000ms, d).rfind("no space allowed", 0) == 0);
  CHECK(parse_duration("-5s", 0ms, 60000ms, d) == "must not be negative");
  CHECK(parse_duration("s", 0ms, 60000ms, d).rfind("not a duration", 0) == 0);
  CHECK(parse_duration("", 0ms, 60000ms, d).rfind("empty value", 0) == 0);
  CHECK(parse_duration("2m", 0ms, 60000ms, d) == "must be from 0s to 1m");
  CHECK(parse_duration("99999999999999m", 0ms, 60000ms, d) == "must be from 0s to 1m");
  CHECK(d == 0ms); // untouched by the failures
  CHECK(sb::cfg::format_duration(3600000ms) == "60m");
  CHECK(sb::cfg::format_duration(1500ms) == "1500ms");
  CHECK(sb::cfg::format_duration(2000ms) == "2s");
}

TEST_CASE("HOST:PORT parses IPv4, names and bracketed IPv6, and rejects the rest") {
  using sb::cfg::parse_host_port;
  sb::host_port hp;
  CHECK(parse_host_port("127.0.0.1:8080", true, hp) == "");
  CHECK((hp.host == "127.0.0.1" && hp.port == 8080));
  CHECK(parse_host_port("node-2.internal:0", true, hp) == "");
  CHECK((hp.host == "node-2.internal" && hp.port == 0));
  CHECK(parse_host_port("[::1]:4300", true, hp) == "");
  CHECK((hp.host == "::1" && hp.port == 4300));
  CHECK(sb::cfg::format_host_port(hp) == "[::1]:4300");
  CHECK(parse_host_port("host:0", false, hp) == "port must be a number from 1 to 65535");
  CHECK(parse_host_port("host:65536", true, hp) ==
        "port must be a number from 0 to 65535");
  CHECK(parse_host_port("host:http", true, hp) ==
        "port must be a number from 0 to 65535");
  CHECK(parse_host_port("host", true, hp).rfind("missing port", 0) == 0);
  CHECK(parse_host_port("host:", true, hp) == "missing port after ':'");
  CHECK(parse_host_port(":80", true, hp).rfind("missing host", 0) == 0);
  CHECK(parse_host_port("::1:80", true, hp)
            .rfind("IPv6 addresses must be in brackets", 0) == 0);
  CHECK(parse_host_port("[::g]:80", true, hp) == "invalid IPv6 address");
  CHECK(parse_host_port("[::1]", true, hp).rfind("missing ':PORT'", 0) == 0);
  CHECK(parse_host_port("a b:80", true, hp).rfind("invalid host name", 0) == 0);
}

TEST_CASE("provider URLs fill url_parts and reject what the client cannot use") {
  using sb::cfg::parse_url;
  sb::url_parts u;
  CHECK(parse_url("wss://api.deepgram.com", "ws,wss", u) == "");
  CHECK((u.scheme == "wss" && u.host == "api.deepgram.com" && u.port == 443 &&
         u.path == ""));
  CHECK(u.tls());
  CHECK(parse_url("HTTP://127.0.0.1:9300/v1/", "http,https", u) == "");
  CHECK(
      (u.scheme == "http" && u.host == "127.0.0.1" && u.port == 9300 && u.path == "/v1"));
  CHECK(parse_url("http://[::1]/proxy/v1", "http,https", u) == "");
  CHECK((u.host == "::1" && u.port == 80 && u.path == "/proxy/v1"));
  CHECK(sb::cfg::format_url(u) == "http://[::1]/proxy/v1");
  CHECK(parse_url("https://x:8443", "http,https", u) == "");
  CHECK(sb::cfg::format_url(u) == "https://x:8443");
  CHECK(parse_url("http://x", "ws,wss", u) == "scheme must be ws or wss, not 'http'");
  CHECK(parse_url("api.openai.com/v1", "http,https", u).rfind("missing scheme", 0) == 0);
  CHECK(parse_url("http://x/v1?key=1", "http,https", u).rfind("query strings", 0) == 0);
  CHECK(parse_url("http://user:pw@x", "http,https", u).rfind("user info", 0) == 0);
  CHECK(parse_url("http://x:0", "http,https", u) ==
        "port must be a number from 1 to 65535");
  CHECK(parse_url("http://", "http,https", u).rfind("missing host", 0) == 0);
  // Through the config: the documented endpoint path must not be part of the base URL.
  CHECK(
      errors_of("[llm]\nurl = http://h/v1/chat/completions\n") ==
      strings{"c.ini:2: [llm] url: give the base URL without '/chat/completions...', the "
              "client appends that path ('http://h/v1/chat/completions')"});
  CHECK(
      errors_of("[stt]\nurl = https://h\n") ==
      strings{"c.ini:2: [stt] url: scheme must be ws or wss, not 'https' ('https://h')"});
}

TEST_CASE("api_key_env names variables and never echoes a pasted key") {
  auto ok = load_config("", {"llm.api_key_env= GROQ_API_KEY , OPENAI_API_KEY"});
  CHECK(messages(ok) == strings{});
  CHECK(ok.config.llm.api_key_env == "GROQ_API_KEY,OPENAI_API_KEY");
  auto bad = errors_of("[llm]\napi_key_env = sk-proj-abc123\n");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].rfind("c.ini:2: [llm] api_key_env: not an environment variable name", 0) ==
        0);
  CHECK(bad[0].find("sk-proj") == std::string::npos);
  CHECK(bad[0].find("(value hidden)") != std::string::npos);
  CHECK(errors_of("[stt]\napi_key_env =\n").size() == 1);
}

TEST_CASE("checks across keys point at the key that was set") {
  CHECK(errors_of("[node]\nlisten = 0.0.0.0:4300\n") ==
        strings{
            "c.ini:2: [node] cluster_listen: must not use the same port as [node] listen "
            "('127.0.0.1:4300')"});
  CHECK(
      errors_of("[pool.llm]\ntokens_per_minute = 100\n") ==
      strings{"c.ini:2: [pool.llm] tokens_per_minute: 100 is less than [llm] max_tokens "
              "(200), so no reply could ever be admitted"});
  CHECK(errors_of("[tts]\nprovider = deepgram\nurl = https://api.deepgram.com\n") ==
        strings{
            "c.ini:2: [tts] model: 'eleven_flash_v2_5' is an ElevenLabs model; Deepgram "
            "TTS takes an Aura model (e.g. aura-asteria-en) (provider is deepgram)"});
  CHECK(errors_of("[llm]\nurl = https://api.openai.com\n") ==
        strings{"c.ini:2: [llm] url: the base URL for api.openai.com is "
                "https://api.openai.com/v1 ('https://api.openai.com')"});
  CHECK(
      errors_of("[tts]\nurl = https://api.deepgram.com\n") ==
      strings{
          "c.ini:2: [tts] url: api.deepgram.com needs provider deepgram, but provider is "
          "elevenlabs ('https://api.deepgram.com')"});
  CHECK(
      errors_of(
          "[stt]\nurl = wss://api.deepgram.com\n[tts]\nurl = https://api.elevenlabs.io\n"
          "[llm]\nurl = https://api.openai.com/v1/\n") == strings{});
  auto r = load_config("", {"node.cluster_listen=127.0.0.1:8080"});
  CHECK(messages(r) ==
        strings{"--set:1: [node] cluster_listen: must not use the same port as "
                "[node] listen ('127.0.0.1:8080')"});
}

TEST_CASE("render_config round-trips through a file") {
  auto r = load_config(
      "", {"node.name=edge-2", "node.listen=[::1]:0", "cluster.seeds=a:1, [::1]:2",
           "stt.url=wss://api.deepgram.com", "llm.url=https://api.openai.com/v1",
           "llm.system_prompt=Short answers; no lists.", "call.greeting=;hi",
           "admission.trusted_ips=10.0.0.0/8, ::1", "sessions.ttl=90s",
           "call.stt_buffer=1500ms", "sessions.backend=redis://r:6379"});
  REQUIRE(messages(r) == strings{});
  std::string text = sb::render_config(r.config);
  CHECK(text.find("[pool.llm]\nmax_active = 50\n") != std::string::npos);
  CHECK(text.find("seeds = a:1, [::1]:2\n") != std::string::npos);
  CHECK(text.find("ttl = 90s\n") != std::string::npos);
  temp_dir dir;
  auto again = load_config(dir.write("effective.ini", text), {});
  CHECK(messages(again) == strings{});
  CHECK(sb::render_config(again.config) == text);
  CHECK(again.config.call.greeting == ";hi");
  CHECK(again.config.cluster.seeds.size() == 2);
}

TEST_CASE("render_config never prints the secret, and its placeholder is rejected") {
  auto r = load_config("", {"cluster.secret=hunter2-very-secret"});
  REQUIRE(r.ok());
  CHECK(r.config.cluster.secret == "hunter2-very-secret");
  std::string text = sb::render_config(r.config);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("[cluster]\nseeds =\nsecret = <set>\n") != std::string::npos);
  CHECK(sb::render_config(sb::node_config{}).find("secret =\n") != std::string::npos);
  // Feeding check-config's output back in must not make "<set>" the secret.
  auto errs = errors_of(text);
  CHECK(errs ==
        strings{"c.ini:" +
                std::to_string(
                    std::count(text.begin(), text.begin() + text.find("secret ="), '\n') +
                    1) +
                ": [cluster] secret: '<set>' is the placeholder check-config prints, not "
                "the secret (value hidden)"});
}

TEST_CASE("[store] transcripts takes PostgreSQL URIs and never shows their password") {
  for (const char* uri : {"postgresql://db/x", "postgres://sb@127.0.0.1:5432/calls",
                          "postgresql://sb:pw@db/x?sslmode=require", "postgresql://"}) {
    INFO(uri);
    auto r = load_config("", {std::string("store.transcripts=") + uri});
    CHECK(messages(r) == strings{});
    CHECK(r.config.store.transcripts == uri);
  }
  auto r = load_config("", {"store.transcripts=postgresql://sb:Hunter2pw@db:5433/x"
                            "?connect_timeout=2&password=Hunter2pw"});
  REQUIRE(r.ok());
  // check-config shows where, not the password; its output fed back in is refused.
  std::string text = sb::render_config(r.config);
  CHECK(text.find("Hunter2pw") == std::string::npos);
  CHECK(text.find("transcripts = postgresql://sb:<set>@db:5433/x?connect_timeout=2"
                  "&password=<set>\n") != std::string::npos);
  auto again = errors_of(text);
  REQUIRE(again.size() == 1);
  CHECK(again[0].find("[store] transcripts: '<set>' is the placeholder check-config prints "
                      "for the password, not the password") != std::string::npos);
  // An error about the value does not quote the password either.
  auto bad = messages(load_config("", {"store.transcripts=postgresql://sb:Hunter2pw@db/x ;y"}));
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].find("Hunter2pw") == std::string::npos);
  CHECK(bad[0].find("postgresql://sb:<hidden>@db/x ;y") != std::string::npos);
  for (auto* line : {"transcripts postgresql://sb:Hunter2pw@db/x"}) {
    auto e = errors_of(std::string("[store]\n") + line + "\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].find("Hunter2pw") == std::string::npos);
  }
  auto set = messages(load_config("", {"store.transcripts postgresql://sb:Hunter2pw@db/x"}));
  REQUIRE(set.size() == 1);
  CHECK(set[0].find("Hunter2pw") == std::string::npos);
  // A SQLite path is shown as it is.
  auto lite = load_config("", {"store.transcripts=sqlite:/var/x://a:b@c.db"});
  CHECK(sb::render_config(lite.config).find("transcripts = sqlite:/var/x://a:b@c.db\n") !=
        std::string::npos);
}

TEST_CASE("[stt|llm|tts] ca_file: a readable PEM bundle, or empty for the system store") {
  temp_dir dir;
  auto pem = dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  auto junk = dir.write("junk.pem", "not a certificate\n");
  auto ok = load_config("", {"stt.ca_file=" + pem, "llm.ca_file=" + pem, "tts.ca_file="});
  CHECK(messages(ok) == strings{});
  CHECK(ok.config.stt.ca_file == pem);
  CHECK(ok.config.tts.ca_file.empty());
  auto bad = errors_of("[tts]\nca_file = " + junk + "\n\n[llm]\nca_file = " + dir.path.string() +
                       "/missing.pem\n");
  REQUIRE(bad.size() == 2);
  CHECK(bad[0] == "c.ini:2: [tts] ca_file: '" + junk +
                    "' holds no PEM certificate (-----BEGIN CERTIFICATE-----) ('" + junk + "')");
  CHECK(bad[1].rfind("c.ini:5: [llm] ca_file: cannot read", 0) == 0);
}

TEST_CASE("[call] stt_buffer_silence must still end an utterance at the provider") {
  CHECK(messages(load_config("", {"call.stt_buffer=120s", "call.stt_buffer_silence=300ms"})) ==
        strings{});
  CHECK(errors_of("[stt]\nendpointing = 500ms\n\n[call]\nstt_buffer_silence = 400ms\n") ==
        strings{"c.ini:5: [call] stt_buffer_silence: 400ms is shorter than [stt] endpointing "
                "(500ms), so no pause in the kept audio would end an utterance"});
}

TEST_CASE("[stt] reconnect_attempts and [pool.*] reuse_delay take their ranges") {
  auto r = load_config("", {"stt.reconnect_attempts=0", "pool.stt.reuse_delay=1s"});
  CHECK(messages(r) == strings{});
  CHECK(r.config.stt.reconnect_attempts == 0);
  CHECK(r.config.pool_stt.reuse_delay == 1s);
  CHECK(sb::node_config{}.pool_llm.reuse_delay == 0ms);
  CHECK(sb::node_config{}.pool_tts.reuse_delay == 250ms);
  CHECK(errors_of("[stt]\nreconnect_attempts = 21\n").size() == 1);
  CHECK(errors_of("[pool.tts]\nreuse_delay = 2m\n").size() == 1);
  CHECK(load_config("", {"call.barge_in=vad"}).config.call.barge_in == "vad");
  CHECK(errors_of("[call]\nbarge_in = sometimes\n") ==
        strings{"c.ini:2: [call] barge_in: must be one of: transcript, vad ('sometimes')"});
}

TEST_CASE("[llm] and [tts] keep_alive: default, 0 and range") {
  CHECK(sb::node_config{}.llm.keep_alive == 30s);
  CHECK(sb::node_config{}.tts.keep_alive == 30s);
  auto r = load_config("", {"llm.keep_alive=0s", "tts.keep_alive=90s"});
  CHECK(messages(r) == strings{});
  CHECK(r.config.llm.keep_alive == 0ms);
  CHECK(r.config.tts.keep_alive == 90s);
  CHECK(errors_of("[tts]\nkeep_alive = 11m\n").size() == 1);
}

TEST_CASE("[call] send_ahead: default 400 ms, 0 for real time, at most 2 s") {
  CHECK(sb::node_config{}.call.send_ahead == 400ms);
  auto r = load_config("", {"call.send_ahead=0ms"});
  CHECK(messages(r) == strings{});
  CHECK(r.config.call.send_ahead == 0ms);
  CHECK(load_config("", {"call.send_ahead=2s"}).config.call.send_ahead == 2000ms);
  CHECK(errors_of("[call]\nsend_ahead = 3s\n") ==
        strings{"c.ini:2: [call] send_ahead: must be from 0s to 2s ('3s')"});
}

TEST_CASE("[tts] fallback and [stt] fallback: the second provider's own section") {
  sb::node_config d;
  CHECK(d.tts.fallback.empty());
  CHECK(d.stt.fallback.empty());
  auto r = load_config("", {"tts.fallback=deepgram", "tts.fallback.url=https://api.deepgram.com",
                            "pool.tts_fallback.max_active=15", "stt.fallback=deepgram",
                            "stt.fallback.url=wss://eu.example.com",
                            "stt.fallback.api_key_env=DG_EU_KEY"});
  CHECK(messages(r) == strings{});
  // The fallback's model and key variable are its provider's defaults, not the first's.
  CHECK(r.config.tts_fallback.provider == "deepgram");
  CHECK(r.config.tts_fallback.model == "aura-2-thalia-en");
  CHECK(r.config.tts_fallback.api_key_env == "DEEPGRAM_API_KEY");
  CHECK(r.config.tts_fallback.url.host == "api.deepgram.com");
  CHECK(r.config.pool_tts_fallback.max_active == 15);
  CHECK(r.config.stt_fallback.provider == "deepgram");
  CHECK(r.config.stt_fallback.url.host == "eu.example.com");
  CHECK(r.config.stt_fallback.api_key_env == "DG_EU_KEY");
  CHECK(errors_of("[tts]\nfallback = polly\n") ==
        strings{"c.ini:2: [tts] fallback: must be one of: elevenlabs, deepgram, or empty for "
                "none ('polly')"});
  // The fallback's model is checked against the fallback's provider.
  CHECK(errors_of("[tts]\nfallback = deepgram\n\n[tts.fallback]\nmodel = eleven_flash_v2_5\n")
          .size() == 1);
  // Its provider comes from [tts] fallback only.
  CHECK(errors_of("[tts.fallback]\nprovider = deepgram\n").size() == 1);
}
