// Checks across keys. Each error is reported where the offending value was set (the first
// key of the list that came from the file or --set), in the "[section] key: ..." form.
#include <fstream>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "runtime/config/load_state.hpp"
#include "runtime/config/values.hpp"

namespace sb::cfg {

namespace {

bool is_any_address(const std::string& host) {
  return host == "0.0.0.0" || host == "::";
}

void check_listen_ports(load_state& st) {
  const auto& a = st.config.node.listen;
  const auto& b = st.config.node.cluster_listen;
  if (a.port == 0 || a.port != b.port) return;
  if (a.host != b.host && !is_any_address(a.host) && !is_any_address(b.host)) return;
  st.error(where(st, {"node.cluster_listen", "node.listen"}),
           "[node] cluster_listen: must not use the same port as [node] listen ('" +
               format_host_port(b) + "')");
}

void check_http_listen(load_state& st) {
  const auto& h = st.config.http.listen;
  if (!st.config.http.separate() || h.port == 0) return;
  for (auto [key, other] : {std::pair{"[node] listen", &st.config.node.listen},
                            std::pair{"[node] cluster_listen", &st.config.node.cluster_listen}}) {
    if (h.port != other->port) continue;
    if (h.host != other->host && !is_any_address(h.host) && !is_any_address(other->host))
      continue;
    st.error(where(st, {"http.listen"}), std::string("[http] listen: must not use the same port as ") +
                                             key + " ('" + format_host_port(h) + "')");
  }
}

void check_token_budget(load_state& st) {
  uint32_t tpm = st.config.pool_llm.tokens_per_minute;
  uint32_t max_tokens = st.config.llm.max_tokens;
  if (tpm == 0 || tpm >= max_tokens) return;
  st.error(where(st, {"pool.llm.tokens_per_minute", "llm.max_tokens"}),
           "[pool.llm] tokens_per_minute: " + std::to_string(tpm) +
               " is less than [llm] max_tokens (" + std::to_string(max_tokens) +
               "), so no reply could ever be admitted");
}

void check_tts_model(load_state& st, const tts_section& t, const std::string& sec) {
  std::string hint;
  if (t.provider == "deepgram" && t.model.rfind("eleven_", 0) == 0)
    hint =
        "is an ElevenLabs model; Deepgram TTS takes an Aura model (e.g. aura-asteria-en)";
  else if (t.provider == "elevenlabs" && t.model.rfind("aura", 0) == 0)
    hint = "is a Deepgram model; ElevenLabs takes e.g. eleven_flash_v2_5";
  if (hint.empty()) return;
  auto provider_key = sec == "tts" ? std::string("tts.provider") : std::string("tts.fallback");
  st.error(where(st, {(sec + ".model").c_str(), provider_key.c_str()}),
           "[" + sec + "] model: '" + t.model + "' " + hint + " (provider is " + t.provider +
               ")");
}

// A fallback provider takes its provider from [stt|tts] fallback; the model and key
// variable it was not given are that provider's defaults, not the first provider's.
void apply_fallback_defaults(load_state& st) {
  auto& c = st.config;
  auto unset = [&](const char* k) { return st.origin.find(k) == st.origin.end(); };
  if (!c.tts.fallback.empty()) {
    auto& f = c.tts_fallback;
    f.provider = c.tts.fallback;
    if (unset("tts.fallback.model"))
      f.model = f.provider == "deepgram" ? "aura-2-thalia-en" : "eleven_flash_v2_5";
    if (unset("tts.fallback.api_key_env"))
      f.api_key_env = f.provider == "deepgram" ? "DEEPGRAM_API_KEY" : "ELEVENLABS_API_KEY";
  }
  if (!c.stt.fallback.empty())
    c.stt_fallback.provider = c.stt.fallback;
}

// The providers' public endpoints have exactly one correct base URL.
struct known_endpoint {
  const char* section;
  const char* host;
  const char* provider; // the provider that must be configured for this host
  const char* base;     // the base URL to use
};

constexpr known_endpoint known_endpoints[] = {
    {"stt", "api.deepgram.com", "deepgram", "wss://api.deepgram.com"},
    {"llm", "api.openai.com", "openai", "https://api.openai.com/v1"},
    {"tts", "api.deepgram.com", "deepgram", "https://api.deepgram.com"},
    {"tts", "api.elevenlabs.io", "elevenlabs", "https://api.elevenlabs.io"},
};

void check_known_endpoints(load_state& st) {
  const auto& c = st.config;
  for (const auto& k : known_endpoints) {
    std::string sec = k.section;
    const url_parts& url = sec == "stt"   ? c.stt.url
                           : sec == "llm" ? c.llm.url
                                          : c.tts.url;
    const std::string& provider = sec == "stt"   ? c.stt.provider
                                  : sec == "llm" ? c.llm.provider
                                                 : c.tts.provider;
    if (url.host != k.host) continue;
    std::string actual = format_url(url);
    location at = where(st, {(sec + ".url").c_str(), (sec + ".provider").c_str()});
    if (provider != k.provider)
      st.error(at, "[" + sec + "] url: " + k.host + " needs provider " + k.provider +
                       ", but provider is " + provider + " ('" + actual + "')");
    else if (actual != k.base)
      st.error(at, "[" + sec + "] url: the base URL for " + k.host + " is " + k.base +
                       " ('" + actual + "')");
  }
}

// Heartbeats must arrive several times within the failure timeout, or a healthy but busy
// node is declared down.
void check_cluster_timing(load_state& st) {
  const auto& c = st.config.cluster;
  if (c.failure_timeout >= 2 * c.heartbeat_interval) return;
  st.error(where(st, {"cluster.failure_timeout", "cluster.heartbeat_interval"}),
           "[cluster] failure_timeout: " + format_duration(c.failure_timeout) +
               " must be at least twice heartbeat_interval (" +
               format_duration(c.heartbeat_interval) + ")");
}

// A lease must survive a few lost renewals: the renewal interval is at most a third of
// the TTL. The margin covers the holder closing its streams after its deadline and the
// clocks' rates: at least 100 ms.
void check_lease_timing(load_state& st) {
  const auto& c = st.config.cluster;
  if (3 * c.lease_renew_interval > c.lease_ttl)
    st.error(where(st, {"cluster.lease_renew_interval", "cluster.lease_ttl"}),
             "[cluster] lease_renew_interval: " + format_duration(c.lease_renew_interval) +
                 " must be at most a third of lease_ttl (" + format_duration(c.lease_ttl) +
                 ")");
  if (c.lease_margin < std::chrono::milliseconds{100})
    st.error(where(st, {"cluster.lease_margin"}),
             "[cluster] lease_margin: " + format_duration(c.lease_margin) +
                 " is too small; at least 100ms (the holder's time to close its streams)");
}

// TLS between nodes means certificates on both sides: all three files or none.
void check_cluster_tls(load_state& st) {
  const auto& c = st.config.cluster;
  std::vector<std::pair<const char*, const std::string*>> files{
      {"tls_cert", &c.tls_cert}, {"tls_key", &c.tls_key}, {"tls_ca", &c.tls_ca}};
  std::string set, missing;
  for (auto& [k, v] : files) {
    auto& list = v->empty() ? missing : set;
    list += (list.empty() ? "" : ", ") + std::string(k);
  }
  if (set.empty() || missing.empty()) {
    for (auto& [k, v] : files)
      if (!v->empty() && !std::ifstream(*v))
        st.error(where(st, {(std::string("cluster.") + k).c_str()}),
                 std::string("[cluster] ") + k + ": cannot read '" + *v + "'");
    return;
  }
  st.error(where(st, {"cluster.tls_cert", "cluster.tls_key", "cluster.tls_ca"}),
           "[cluster] TLS needs tls_cert, tls_key and tls_ca together: " + set +
               " set, " + missing + " missing");
}

// A local share is a part of the limit: more than max_active would exceed it on its own.
void check_local_shares(load_state& st) {
  const auto& c = st.config;
  for (auto [name, ps] : {std::pair{"stt", &c.pool_stt}, std::pair{"llm", &c.pool_llm},
                          std::pair{"tts", &c.pool_tts}}) {
    if (ps->local_share <= ps->max_active) continue;
    std::string sec = std::string("pool.") + name;
    st.error(where(st, {(sec + ".local_share").c_str(), (sec + ".max_active").c_str()}),
             "[" + sec + "] local_share: " + std::to_string(ps->local_share) +
                 " is more than max_active (" + std::to_string(ps->max_active) +
                 "); a node's share must be a part of the limit");
  }
}

// [cluster] pool_limits = shares: every node grants its local_share and nothing else, so
// each share must be set (0 would mean the whole limit on every node), and a coordinator
// would decide nothing.
void check_static_shares(load_state& st) {
  const auto& c = st.config;
  if (!c.cluster.static_shares()) return;
  if (!c.cluster.coordinator.empty())
    st.error(where(st, {"cluster.pool_limits", "cluster.coordinator"}),
             "[cluster] pool_limits: shares needs no coordinator (no node is a home); "
             "remove coordinator, or use pool_limits = home");
  for (auto [name, ps] : {std::pair{"stt", &c.pool_stt}, std::pair{"llm", &c.pool_llm},
                          std::pair{"tts", &c.pool_tts}}) {
    if (ps->local_share > 0) continue;
    std::string sec = std::string("pool.") + name;
    st.error(where(st, {(sec + ".local_share").c_str(), "cluster.pool_limits"}),
             "[" + sec + "] local_share: 0 (the whole limit) with [cluster] pool_limits = "
             "shares would let every node use the whole limit; give each node its part");
  }
}

// The pauses kept in a waiting call's audio must still end an utterance at the provider,
// or everything said while waiting would reach it as one long sentence.
void check_stt_buffer(load_state& st) {
  const auto& c = st.config;
  if (c.call.stt_buffer_silence >= c.stt.endpointing) return;
  st.error(where(st, {"call.stt_buffer_silence", "stt.endpointing"}),
           "[call] stt_buffer_silence: " + format_duration(c.call.stt_buffer_silence) +
               " is shorter than [stt] endpointing (" + format_duration(c.stt.endpointing) +
               "), so no pause in the kept audio would end an utterance");
}

// A per-address cap above the node's cap would never be reached.
void check_pending_caps(load_state& st) {
  const auto& a = st.config.admission;
  if (a.pending_per_ip <= a.pending_max) return;
  st.error(where(st, {"admission.pending_per_ip", "admission.pending_max"}),
           "[admission] pending_per_ip: " + std::to_string(a.pending_per_ip) +
               " is more than pending_max (" + std::to_string(a.pending_max) +
               "); one address could then take every place");
}

// [aws]: a hook only means something to the lifecycle watcher; discovered peers are
// reached on this node's own cluster port, so it must be a fixed one.
void check_aws(load_state& st) {
  const auto& a = st.config.aws;
  if (!a.lifecycle_hook.empty() && a.lifecycle != "imds")
    st.error(where(st, {"aws.lifecycle_hook", "aws.lifecycle"}),
             "[aws] lifecycle_hook: '" + a.lifecycle_hook +
                 "' needs lifecycle = imds (the node completes the hook's action only when "
                 "it watches its lifecycle)");
  if (a.discovery == "ec2" && st.config.node.cluster_listen.port == 0)
    st.error(where(st, {"aws.discovery", "node.cluster_listen"}),
             "[aws] discovery: ec2 needs a fixed [node] cluster_listen port (the peers "
             "found are joined on it), not port 0");
}

} // namespace

void check_cross_keys(load_state& st) {
  check_aws(st);
  check_stt_buffer(st);
  check_pending_caps(st);
  check_local_shares(st);
  check_static_shares(st);
  check_cluster_timing(st);
  check_lease_timing(st);
  check_cluster_tls(st);
  check_listen_ports(st);
  check_http_listen(st);
  check_token_budget(st);
  apply_fallback_defaults(st);
  check_tts_model(st, st.config.tts, "tts");
  if (!st.config.tts.fallback.empty())
    check_tts_model(st, st.config.tts_fallback, "tts.fallback");
  check_known_endpoints(st);
  check_offline(st);
}

} // namespace sb::cfg
