#include "runtime/config/schema.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>

#include <sys/stat.h>

#include "net/store/uri_password.hpp"
#include "runtime/config/values.hpp"

namespace sb::cfg {

namespace {

using namespace std::chrono_literals;
template <class S> using sec_ptr = S node_config::*;
using text_check = std::function<std::string(const std::string&)>;

constexpr millis minutes(int64_t m) {
  return millis{m * 60000};
}

template <class S>
key_spec u32_key(const char* name, sec_ptr<S> sec, uint32_t S::*f, uint32_t lo,
                 uint32_t hi) {
  return {name,
          [=](node_config& c, const std::string& v) {
            uint64_t x = 0;
            auto e = parse_uint(v, lo, hi, x);
            if (e.empty()) (c.*sec).*f = uint32_t(x);
            return e;
          },
          [=](const node_config& c) { return std::to_string((c.*sec).*f); }};
}

template <class S>
key_spec dur_key(const char* name, sec_ptr<S> sec, millis S::*f, millis lo, millis hi) {
  return {name,
          [=](node_config& c, const std::string& v) {
            return parse_duration(v, lo, hi, (c.*sec).*f);
          },
          [=](const node_config& c) { return format_duration((c.*sec).*f); }};
}

template <class S>
key_spec text_key(const char* name, sec_ptr<S> sec, std::string S::*f, text_check check) {
  return {name,
          [=](node_config& c, const std::string& v) {
            auto e = check(v);
            if (e.empty()) (c.*sec).*f = v;
            return e;
          },
          [=](const node_config& c) { return (c.*sec).*f; }};
}

// A file the node reads (key_spec::file_path).
template <class S>
key_spec path_key(const char* name, sec_ptr<S> sec, std::string S::*f, text_check check) {
  auto k = text_key(name, sec, f, std::move(check));
  k.file_path = true;
  return k;
}

template <class S>
key_spec host_port_key(const char* name, sec_ptr<S> sec, host_port S::*f) {
  return {name,
          [=](node_config& c, const std::string& v) {
            return parse_host_port(v, true, (c.*sec).*f);
          },
          [=](const node_config& c) { return format_host_port((c.*sec).*f); }};
}

// `endpoints`: documented paths the client appends; a URL containing one was pasted
// whole.
template <class S>
key_spec url_key(sec_ptr<S> sec, const char* schemes,
                 std::vector<std::string> endpoints) {
  return {"url",
          [=](node_config& c, const std::string& v) {
            url_parts u;
            auto e = parse_url(v, schemes, u);
            for (auto& p : endpoints)
              if (e.empty() && u.path.find(p) != std::string::npos)
                e = "give the base URL without '" + p +
                    "...', the client appends that path";
            if (e.empty()) (c.*sec).url = u;
            return e;
          },
          [=](const node_config& c) { return format_url((c.*sec).url); }};
}

template <class S> key_spec api_key_env_key(sec_ptr<S> sec) {
  key_spec k{"api_key_env",
             [=](node_config& c, const std::string& v) {
               auto e = check_env_names(v);
               if (!e.empty()) return e;
               std::string joined;
               for (auto& n : split_list(v))
                 joined += (joined.empty() ? "" : ",") + n;
               (c.*sec).api_key_env = joined;
               return e;
             },
             [=](const node_config& c) { return (c.*sec).api_key_env; }};
  k.hide_value = true; // a pasted API key must not reach logs through an error message
  return k;
}

std::string any_text(const std::string&) {
  return "";
}
std::string non_empty(const std::string& v) {
  return v.empty() ? "must not be empty" : "";
}

text_check one_of(std::vector<std::string> allowed) {
  return [allowed](const std::string& v) -> std::string {
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return "";
    if (allowed.size() == 1) return "must be '" + allowed[0] + "'";
    return "must be one of: " + join_list(allowed);
  };
}

// A fallback provider's name, or empty for none.
text_check fallback_of(std::vector<std::string> allowed) {
  auto check = one_of(allowed);
  return [check](const std::string& v) -> std::string {
    if (v.empty()) return "";
    auto e = check(v);
    return e.empty() ? e : e + ", or empty for none";
  };
}

std::string node_name(const std::string& v) {
  if (v.empty() || v.size() > 64) return "must be 1 to 64 characters";
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
      return "may contain only letters, digits, '.', '-' and '_'";
  return "";
}

// A PEM bundle of CA certificates: "" (the system's trust store) or a readable file.
std::string pem_bundle(const std::string& v) {
  if (v.empty()) return "";
  std::ifstream f(v);
  if (!f) return "cannot read '" + v + "'";
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("-----BEGIN CERTIFICATE-----", 0) == 0) return "";
  return "'" + v + "' holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
}

bool postgres_uri(const std::string& v) {
  return v.rfind("postgresql://", 0) == 0 || v.rfind("postgres://", 0) == 0;
}

// sqlite:PATH or a PostgreSQL URI (libpq checks the rest of it when the node starts).
std::string transcripts_store(const std::string& v) {
  if (v.rfind("sqlite:", 0) == 0)
    return v.size() > 7 ? "" : "missing PATH after 'sqlite:'";
  if (postgres_uri(v)) {
    for (auto& s : store::password_spans(v))
      if (v.compare(s.value_begin, s.value_end - s.value_begin, "<set>") == 0)
        return "'<set>' is the placeholder check-config prints for the password, not the "
               "password";
    return "";
  }
  return "expected sqlite:PATH (e.g. sqlite:transcripts.db) or "
         "postgresql://USER@HOST:PORT/DATABASE";
}

// [store] transcripts: a PostgreSQL URI's password renders as "<set>" and is never in an
// error (give it in PGPASSWORD or ~/.pgpass rather than in the file: docs/storage.md).
key_spec transcripts_key() {
  key_spec k{"transcripts",
             [](node_config& c, const std::string& v) {
               auto e = transcripts_store(v);
               if (e.empty()) c.store.transcripts = v;
               return e;
             },
             [](const node_config& c) {
               auto& v = c.store.transcripts;
               return postgres_uri(v) ? store::with_password_as(v, "<set>") : v;
             }};
  k.shown_as = [](const std::string& v) { return store::with_password_as(v, "<hidden>"); };
  return k;
}

std::string sessions_backend(const std::string& v) {
  if (v == "memory") return "";
  if (v.rfind("redis://", 0) != 0) return "expected memory or redis://HOST:PORT";
  host_port hp;
  auto e = parse_host_port(v.substr(8), false, hp);
  return e.empty() ? "" : "expected memory or redis://HOST:PORT: " + e;
}

// A CloudWatch namespace: 1-255 of letters, digits, . - _ / # : and space, not AWS/...
std::string cloudwatch_namespace(const std::string& v) {
  if (v.empty() || v.size() > 255) return "must be 1 to 255 characters";
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr(".-_/#: ", c))
      return "may contain only letters, digits, spaces and . - _ / # :";
  if (v.rfind("AWS/", 0) == 0) return "must not start with 'AWS/' (reserved for AWS)";
  return "";
}

// NAME=VALUE, ... as CloudWatch takes dimensions (at most 9 in one set, as the EMF
// specification says), each name a top-level member of the EMF line.
key_spec emf_dimensions_key() {
  return {"emf_dimensions",
          [](node_config& c, const std::string& v) -> std::string {
            std::vector<std::pair<std::string, std::string>> dims;
            for (auto& item : split_list(v)) {
              auto eq = item.find('=');
              if (eq == std::string::npos)
                return "'" + item + "': expected NAME=VALUE";
              auto name = trim(item.substr(0, eq));
              auto value = trim(item.substr(eq + 1));
              if (name.empty() || name.size() > 255 || name[0] == ':')
                return "'" + item + "': a name is 1 to 255 characters, not starting with ':'";
              if (value.empty() || value.size() > 1024)
                return "'" + item + "': a value is 1 to 1024 characters";
              if (name == "_aws" || name == "ActiveCalls" || name == "Timestamp")
                return "'" + name + "' is a member of the EMF line itself";
              if (!check_printable(item).empty())
                return "'" + name + "': " + check_printable(item);
              for (auto& d : dims)
                if (d.first == name) return "dimension '" + name + "' given twice";
              dims.emplace_back(name, value);
            }
            if (dims.empty()) return "give at least one NAME=VALUE";
            if (dims.size() > 9) return "at most 9 dimensions";
            c.metrics.emf_dimensions = dims;
            return "";
          },
          [](const node_config& c) {
            std::vector<std::string> items;
            for (auto& [n, v] : c.metrics.emf_dimensions)
              items.push_back(n + "=" + v);
            return join_list(items);
          }};
}

key_spec emf_interval_key() {
  return {"emf_interval",
          [](node_config& c, const std::string& v) -> std::string {
            millis d{0};
            auto e = parse_duration(v, 0ms, minutes(60), d);
            if (!e.empty()) return e;
            if (d.count() > 0 && d < 100ms) return "must be 0s (off) or at least 100ms";
            c.metrics.emf_interval = d;
            return "";
          },
          [](const node_config& c) { return format_duration(c.metrics.emf_interval); }};
}

// "" (standard output) or a file in an existing directory.
std::string emf_file(const std::string& v) {
  if (v.empty()) return "";
  if (auto e = check_printable(v); !e.empty()) return e;
  auto slash = v.find_last_of('/');
  auto dir = slash == std::string::npos ? std::string(".") : v.substr(0, slash + 1);
  struct stat st{};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return "no such directory: '" + dir + "'";
  if (stat(v.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return "'" + v + "' is a directory";
  return "";
}

// "" or HOST:PORT with a port 1-65535.
std::string optional_host_port(const std::string& v) {
  if (v.empty()) return "";
  host_port hp;
  return parse_host_port(v, false, hp);
}

// "" (none) or redis://HOST:PORT.
std::string coordinator_url(const std::string& v) {
  if (v.empty()) return "";
  if (v.rfind("redis://", 0) != 0) return "expected redis://HOST:PORT (or empty for none)";
  host_port hp;
  auto e = parse_host_port(v.substr(8), false, hp);
  return e.empty() ? "" : "expected redis://HOST:PORT: " + e;
}

key_spec seeds_key() {
  return {"seeds",
          [](node_config& c, const std::string& v) -> std::string {
            std::vector<host_port> seeds;
            for (auto& item : split_list(v)) {
              host_port hp;
              auto e =
                  item.empty() ? "empty entry in list" : parse_host_port(item, false, hp);
              if (!e.empty()) return item.empty() ? e : "'" + item + "': " + e;
              seeds.push_back(hp);
            }
            c.cluster.seeds = seeds;
            return "";
          },
          [](const node_config& c) {
            std::vector<std::string> items;
            for (auto& hp : c.cluster.seeds)
              items.push_back(format_host_port(hp));
            return join_list(items);
          }};
}

key_spec secret_key() {
  key_spec k{
      "secret",
      [](node_config& c, const std::string& v) -> std::string {
        if (v == "<set>")
          return "'<set>' is the placeholder check-config prints, not the secret";
        c.cluster.secret = v;
        return "";
      },
      [](const node_config& c) { return c.cluster.secret.empty() ? "" : "<set>"; }};
  k.hide_value = true;
  return k;
}

// A list of IP addresses or CIDR ranges.
key_spec cidr_list_key(const char* name, std::vector<std::string> admission_section::*f) {
  return {name,
          [=](node_config& c, const std::string& v) -> std::string {
            auto items = split_list(v);
            for (auto& item : items)
              if (auto e = check_ip_or_cidr(item); !e.empty()) return e;
            c.admission.*f = items;
            return "";
          },
          [=](const node_config& c) { return join_list(c.admission.*f); }};
}

// The name of one environment variable; "" only where `allow_empty`.
template <class S>
key_spec env_name_key(const char* name, sec_ptr<S> sec, std::string S::*f, bool allow_empty) {
  key_spec k{name,
             [=](node_config& c, const std::string& v) -> std::string {
               if (v.empty() && allow_empty) {
                 (c.*sec).*f = v;
                 return "";
               }
               auto e = check_env_names(v);
               if (e.empty() && v.find(',') != std::string::npos)
                 e = "must name one environment variable";
               if (e.empty()) (c.*sec).*f = v;
               return e;
             },
             [=](const node_config& c) { return (c.*sec).*f; }};
  k.hide_value = true;  // a pasted secret must not reach logs through an error message
  return k;
}

// wss://host[:port][/prefix] (ws:// too, for a plain test set-up), or "".
std::string public_url(const std::string& v) {
  if (v.empty()) return "";
  url_parts u;
  return parse_url(v, "ws,wss", u);
}

key_spec http_listen_key() {
  return {"listen",
          [](node_config& c, const std::string& v) -> std::string {
            if (v.empty()) {
              c.http.listen = {"", 0};
              return "";
            }
            host_port hp;
            auto e = parse_host_port(v, true, hp);
            if (e.empty()) c.http.listen = hp;
            return e;
          },
          [](const node_config& c) {
            return c.http.separate() ? format_host_port(c.http.listen) : std::string{};
          }};
}

section_spec pool(const char* name, sec_ptr<pool_section> p, bool llm) {
  section_spec s{
      name,
      {u32_key("max_active", p, &pool_section::max_active, 1, 100000),
       u32_key("max_queue", p, &pool_section::max_queue, 0, 1000000),
       dur_key("queue_timeout", p, &pool_section::queue_timeout, 0ms, minutes(10)),
       text_key("on_exhausted", p, &pool_section::on_exhausted,
                one_of({"wait", "hold", "end"})),
       u32_key("local_share", p, &pool_section::local_share, 0, 100000),
       dur_key("reuse_delay", p, &pool_section::reuse_delay, 0ms, 60000ms)}};
  if (llm) {
    s.keys.push_back(u32_key("requests_per_minute", p, &pool_section::requests_per_minute,
                             0, 10000000));
    s.keys.push_back(
        u32_key("tokens_per_minute", p, &pool_section::tokens_per_minute, 0, 1000000000));
  }
  return s;
}

section_spec breaker(const char* name, sec_ptr<breaker_section> b) {
  return {
      name,
      {u32_key("failure_threshold", b, &breaker_section::failure_threshold, 1, 10000),
       u32_key("success_threshold", b, &breaker_section::success_threshold, 1, 10000),
       dur_key("open_timeout", b, &breaker_section::open_timeout, 100ms, minutes(60)),
       dur_key("slow_threshold", b, &breaker_section::slow_threshold, 0ms, minutes(10))}};
}

// [stt] and [stt.fallback]: the same keys; the first names the fallback's provider.
std::vector<key_spec> stt_keys(sec_ptr<stt_section> sec, bool primary) {
  using std::chrono::minutes;
  std::vector<key_spec> k{
      text_key("provider", sec, &stt_section::provider, one_of({"deepgram", "sphinx"})),
      url_key(sec, "ws,wss", {"/v1/listen"}), api_key_env_key(sec),
      text_key("model", sec, &stt_section::model, non_empty),
      text_key("language", sec, &stt_section::language, non_empty),
      dur_key("endpointing", sec, &stt_section::endpointing, 10ms, 60000ms),
      u32_key("reconnect_attempts", sec, &stt_section::reconnect_attempts, 0, 20),
      dur_key("send_interval", sec, &stt_section::send_interval, 0ms, 250ms),
      dur_key("utterance_end", sec, &stt_section::utterance_end, 1000ms, 60000ms),
      path_key("ca_file", sec, &stt_section::ca_file, pem_bundle)};
  if (primary) {
    k.push_back(text_key("fallback", sec, &stt_section::fallback, fallback_of({"deepgram"})));
    k.push_back(path_key("acoustic_model", sec, &stt_section::acoustic_model, non_empty));
    k.push_back(path_key("dictionary", sec, &stt_section::dictionary, non_empty));
  } else
    k.erase(k.begin());  // the provider of a fallback is [stt] fallback
  return k;
}

// [tts] and [tts.fallback].
std::vector<key_spec> tts_keys(sec_ptr<tts_section> sec, bool primary) {
  using std::chrono::minutes;
  std::vector<key_spec> k{
      text_key("provider", sec, &tts_section::provider,
               one_of({"elevenlabs", "deepgram", "espeak"})),
      url_key(sec, "http,https", {"/v1/speak", "/text-to-speech"}), api_key_env_key(sec),
      text_key("voice", sec, &tts_section::voice, non_empty),
      text_key("model", sec, &tts_section::model, non_empty),
      dur_key("timeout", sec, &tts_section::timeout, 100ms, minutes(10)),
      dur_key("keep_alive", sec, &tts_section::keep_alive, 0ms, minutes(10)),
      path_key("ca_file", sec, &tts_section::ca_file, pem_bundle)};
  if (primary) {
    k.push_back(text_key("fallback", sec, &tts_section::fallback,
                         fallback_of({"elevenlabs", "deepgram"})));
    k.push_back(text_key("transport", sec, &tts_section::transport,
                         one_of({"http", "websocket"})));
    k.push_back(text_key("espeak_voice", sec, &tts_section::espeak_voice, non_empty));
    k.push_back(u32_key("espeak_rate", sec, &tts_section::espeak_rate, 80, 450));
  }
  else
    k.erase(k.begin());  // the provider of a fallback is [tts] fallback
  return k;
}

std::vector<section_spec> build_schema() {
  using nc = node_config;
  return {
      {"node",
       {text_key("name", &nc::node, &node_section::name, node_name),
        host_port_key("listen", &nc::node, &node_section::listen),
        host_port_key("cluster_listen", &nc::node, &node_section::cluster_listen),
        u32_key("max_calls", &nc::node, &node_section::max_calls, 1, 100000),
        dur_key("drain_timeout", &nc::node, &node_section::drain_timeout, 0ms,
                minutes(60))}},
      {"cluster",
       {seeds_key(), secret_key(),
        dur_key("heartbeat_interval", &nc::cluster, &cluster_section::heartbeat_interval,
                50ms, 60000ms),
        dur_key("failure_timeout", &nc::cluster, &cluster_section::failure_timeout, 300ms,
                minutes(10)),
        dur_key("lease_ttl", &nc::cluster, &cluster_section::lease_ttl, 300ms, minutes(10)),
        dur_key("lease_renew_interval", &nc::cluster, &cluster_section::lease_renew_interval,
                50ms, minutes(3)),
        dur_key("lease_margin", &nc::cluster, &cluster_section::lease_margin, 0ms,
                minutes(10)),
        text_key("advertise", &nc::cluster, &cluster_section::advertise, optional_host_port),
        text_key("coordinator", &nc::cluster, &cluster_section::coordinator, coordinator_url),
        text_key("pool_limits", &nc::cluster, &cluster_section::pool_limits,
                 one_of({"home", "shares"})),
        path_key("tls_cert", &nc::cluster, &cluster_section::tls_cert, any_text),
        path_key("tls_key", &nc::cluster, &cluster_section::tls_key, any_text),
        path_key("tls_ca", &nc::cluster, &cluster_section::tls_ca, any_text)}},
      {"stt", stt_keys(&nc::stt, true)},
      {"stt.fallback", stt_keys(&nc::stt_fallback, false)},
      {"llm",
       {text_key("provider", &nc::llm, &llm_section::provider, one_of({"openai", "scripted"})),
        path_key("dialog", &nc::llm, &llm_section::dialog, any_text),
        url_key(&nc::llm, "http,https", {"/chat/completions"}), api_key_env_key(&nc::llm),
        text_key("model", &nc::llm, &llm_section::model, non_empty),
        text_key("system_prompt", &nc::llm, &llm_section::system_prompt, any_text),
        u32_key("max_history", &nc::llm, &llm_section::max_history, 0, 1000),
        u32_key("max_tokens", &nc::llm, &llm_section::max_tokens, 1, 1000000),
        dur_key("timeout", &nc::llm, &llm_section::timeout, 100ms, minutes(10)),
        dur_key("keep_alive", &nc::llm, &llm_section::keep_alive, 0ms, minutes(10)),
        path_key("ca_file", &nc::llm, &llm_section::ca_file, pem_bundle)}},
      {"tts", tts_keys(&nc::tts, true)},
      {"tts.fallback", tts_keys(&nc::tts_fallback, false)},
      pool("pool.stt", &nc::pool_stt, false),
      pool("pool.llm", &nc::pool_llm, true),
      pool("pool.tts", &nc::pool_tts, false),
      breaker("breaker.stt", &nc::breaker_stt),
      breaker("breaker.llm", &nc::breaker_llm),
      breaker("breaker.tts", &nc::breaker_tts),
      pool("pool.stt_fallback", &nc::pool_stt_fallback, false),
      pool("pool.tts_fallback", &nc::pool_tts_fallback, false),
      breaker("breaker.stt_fallback", &nc::breaker_stt_fallback),
      breaker("breaker.tts_fallback", &nc::breaker_tts_fallback),
      {"admission",
       {u32_key("calls_per_minute", &nc::admission, &admission_section::calls_per_minute,
                0, 10000000),
        u32_key("per_ip_per_minute", &nc::admission,
                &admission_section::per_ip_per_minute, 0, 10000000),
        u32_key("per_agent_per_minute", &nc::admission,
                &admission_section::per_agent_per_minute, 0, 10000000),
        cidr_list_key("trusted_ips", &admission_section::trusted_ips),
        cidr_list_key("trusted_proxies", &admission_section::trusted_proxies),
        u32_key("pending_per_ip", &nc::admission, &admission_section::pending_per_ip, 1,
                1000000),
        u32_key("pending_max", &nc::admission, &admission_section::pending_max, 1, 10000000),
        u32_key("max_message_bytes", &nc::admission, &admission_section::max_message_bytes,
                1024, 16777216),
        // Twilio sends 50 media frames a second: less than 60 would cut every call.
        u32_key("max_frames_per_second", &nc::admission,
                &admission_section::max_frames_per_second, 60, 100000),
        // A second of Twilio media frames is about 16 KiB: less than 16 KiB would close a
        // caller whose network hiccups for a moment.
        u32_key("max_send_buffer_bytes", &nc::admission,
                &admission_section::max_send_buffer_bytes, 16384, 67108864),
        // libwebsockets counts whole seconds.
        dur_key("handshake_timeout", &nc::admission, &admission_section::handshake_timeout,
                1000ms, 60000ms)}},
      {"auth",
       {text_key("twilio", &nc::auth, &auth_section::twilio,
                 one_of({"none", "token", "signature"})),
        text_key("exotel", &nc::auth, &auth_section::exotel, one_of({"none", "token", "basic"})),
        env_name_key("token_env", &nc::auth, &auth_section::token_env, false),
        env_name_key("twilio_auth_token_env", &nc::auth, &auth_section::twilio_auth_token_env,
                     false),
        text_key("public_url", &nc::auth, &auth_section::public_url, public_url),
        env_name_key("exotel_credentials_env", &nc::auth,
                     &auth_section::exotel_credentials_env, false)}},
      {"http",
       {http_listen_key(),
        env_name_key("token_env", &nc::http, &http_section::token_env, true),
        text_key("phone", &nc::http, &http_section::phone, one_of({"auto", "on", "off"}))}},
      {"batcher",
       {u32_key("max_entries", &nc::batcher, &batcher_section::max_entries, 1, 100000),
        dur_key("max_delay", &nc::batcher, &batcher_section::max_delay, 1ms, 60000ms)}},
      {"store",
       {transcripts_key()}},
      {"sessions",
       {text_key("backend", &nc::sessions, &sessions_section::backend, sessions_backend),
        dur_key("ttl", &nc::sessions, &sessions_section::ttl, 1000ms,
                minutes(60 * 24 * 30))}},
      {"call",
       {text_key("greeting", &nc::call, &call_section::greeting, any_text),
        text_key("goodbye", &nc::call, &call_section::goodbye, any_text),
        text_key("barge_in", &nc::call, &call_section::barge_in,
                 one_of({"transcript", "vad"})),
        dur_key("max_duration", &nc::call, &call_section::max_duration, 1000ms,
                minutes(60 * 24)),
        dur_key("stt_buffer", &nc::call, &call_section::stt_buffer, 0ms, minutes(10)),
        dur_key("stt_buffer_silence", &nc::call, &call_section::stt_buffer_silence, 0ms,
                60000ms),
        dur_key("start_timeout", &nc::call, &call_section::start_timeout, 100ms, 60000ms),
        dur_key("send_ahead", &nc::call, &call_section::send_ahead, 0ms, 2000ms)}},
      {"log",
       {text_key("level", &nc::log, &log_section::level,
                 one_of({"trace", "debug", "info", "warn", "error"})),
        text_key("format", &nc::log, &log_section::format, one_of({"text", "json"}))}},
      {"metrics",
       {emf_interval_key(),
        text_key("emf_namespace", &nc::metrics, &metrics_section::emf_namespace,
                 cloudwatch_namespace),
        emf_dimensions_key(),
        text_key("emf_file", &nc::metrics, &metrics_section::emf_file, emf_file)}},
      aws_section_spec(),
  };
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] =
          std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The candidate within edit distance 2 (1 for short words) of `word`, or "".
std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  size_t limit = word.size() <= 4 ? 1 : 2;
  std::string best;
  size_t best_d = limit + 1;
  for (auto& c : candidates)
    if (size_t d = edit_distance(word, c); d < best_d) best = c, best_d = d;
  return best;
}

} // namespace

const key_spec* section_spec::find(const std::string& key) const {
  for (auto& k : keys)
    if (k.name == key) return &k;
  return nullptr;
}

const std::vector<section_spec>& schema() {
  static const std::vector<section_spec> s = build_schema();
  return s;
}

const section_spec* find_section(const std::string& name) {
  for (auto& s : schema())
    if (s.name == name) return &s;
  return nullptr;
}

std::string suggest_section(const std::string& name) {
  std::vector<std::string> names;
  for (auto& s : schema())
    names.push_back(s.name);
  auto best = closest(name, names);
  return best.empty() ? "" : " (did you mean [" + best + "]?)";
}

std::string suggest_key(const section_spec& section, const std::string& key) {
  std::vector<std::string> names;
  for (auto& k : section.keys)
    names.push_back(k.name);
  if (auto best = closest(key, names); !best.empty())
    return " (did you mean '" + best + "'?)";
  for (auto& s : schema())
    if (s.find(key)) return " ('" + key + "' belongs in [" + s.name + "])";
  return "";
}

} // namespace sb::cfg
