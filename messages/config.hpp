// Plain configuration structs: what cluster.ini says after parsing and validation.
// Durations are std::chrono::milliseconds. Defaults here are the documented defaults
// (docs/configuration.md); runtime/config.cpp fills and validates them.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sb {

using millis = std::chrono::milliseconds;

struct host_port {
  std::string host;
  uint16_t port = 0;  // 0 = pick a free port (tests)
};

struct node_section {
  std::string name = "node-1";
  host_port listen{"127.0.0.1", 8080};
  host_port cluster_listen{"127.0.0.1", 4300};
  uint32_t max_calls = 2000;
  millis drain_timeout{30000};
};

struct cluster_section {
  std::vector<host_port> seeds;
  std::string secret;
  millis heartbeat_interval{500};  // also CAF's middleman heartbeat (same on every node)
  millis failure_timeout{3000};    // silent this long: down (never frees a lease)
  // Cluster-wide leases (docs/design/cluster-leases.md). The home counts another node's
  // lease until released, its link closes, or lease_ttl + lease_margin pass without a
  // renewal; the holder renews every lease_renew_interval and closes the streams of
  // leases it could not renew within lease_ttl. CAF's link timeout is
  // max(failure_timeout, lease_ttl + lease_margin), so a silent link never closes (and
  // frees leases) before they would have expired.
  millis lease_ttl{10000};
  millis lease_renew_interval{1000};
  millis lease_margin{2000};
  millis link_timeout() const {
    return std::max(failure_timeout, lease_ttl + lease_margin);
  }
  // HOST:PORT other nodes are told to connect to; "" = cluster_listen's (a wildcard host
  // becomes the host name). Set it when nodes reach this one through a NAT, a load
  // balancer or a proxy.
  std::string advertise;
  // "" or redis://HOST:PORT: the store that holds each pool home's epoch lease (one home
  // at a time; docs/design/cluster-leases.md). Without it a cut-off node grants its
  // local_share and a split has a home on each side.
  std::string coordinator;
  // "home": a pool's home node grants the whole limit to the cluster (one home at a time
  // needs the coordinator); "shares": every node grants only its [pool.*] local_share to
  // its own calls, always, with no home: safe in any split without a coordinator when the
  // shares of all nodes add up to at most the account's limit.
  std::string pool_limits = "home";
  bool static_shares() const { return pool_limits == "shares"; }
  std::string tls_cert;            // PEM files; all three set = mutual TLS between nodes
  std::string tls_key;
  std::string tls_ca;
  bool tls() const { return !tls_cert.empty(); }
};

// A parsed provider base URL: scheme ws|wss|http|https, host, port, base path
// (without trailing slash). The client appends the provider's documented path.
struct url_parts {
  std::string scheme;
  std::string host;
  uint16_t port = 0;
  std::string path;  // "" or "/v1" ...
  bool tls() const { return scheme == "wss" || scheme == "https"; }
};

struct stt_section {
  std::string provider = "deepgram";
  url_parts url{"ws", "127.0.0.1", 9300, ""};
  std::string api_key_env = "DEEPGRAM_API_KEY";
  std::string model = "nova-2-phonecall";
  std::string language = "en";
  millis endpointing{300};      // Deepgram `endpointing` (silence before speech_final)
  millis utterance_end{1000};   // Deepgram `utterance_end_ms` (>= 1000)
  uint32_t reconnect_attempts = 3;  // a stream lost mid-call is reopened this often
  // Caller audio is sent in messages of up to this much (one write instead of one per
  // 20 ms frame), except around the caller's speech starting and stopping; 0 = each frame.
  millis send_interval{100};
  std::string fallback;  // [stt] only: provider of [stt.fallback], "" = no fallback
  std::string ca_file;  // PEM bundle that verifies the provider's TLS certificate; "" = system
  // provider = sphinx (offline, pocketsphinx): the acoustic model and the pronunciation
  // dictionary (only the dialog's words are loaded from it).
  std::string acoustic_model = "/usr/share/pocketsphinx/model/en-us/en-us";
  std::string dictionary = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
};

struct llm_section {
  std::string provider = "openai";  // openai | scripted (the dialog file answers)
  std::string dialog;  // provider = scripted: the dialog file (docs/offline-agent.md)
  url_parts url{"http", "127.0.0.1", 9300, "/v1"};
  std::string api_key_env = "OPENAI_API_KEY";
  std::string model = "gpt-4o-mini";
  std::string system_prompt =
    "You are a helpful voice assistant on a phone call. Answer briefly.";
  uint32_t max_history = 20;   // messages kept besides the system prompt
  uint32_t max_tokens = 200;
  millis timeout{15000};       // whole reply
  millis keep_alive{30000};    // an idle connection is kept for the next request; 0 = never
  std::string ca_file;  // PEM bundle that verifies the provider's TLS certificate; "" = system
};

struct tts_section {
  std::string provider = "elevenlabs";
  url_parts url{"http", "127.0.0.1", 9300, ""};
  std::string api_key_env = "ELEVENLABS_API_KEY";
  std::string voice = "21m00Tcm4TlvDq8ikWAM";
  std::string model = "eleven_flash_v2_5";
  millis timeout{10000};       // one sentence
  millis keep_alive{30000};    // an idle connection is kept for the next request; 0 = never
  std::string fallback;  // [tts] only: provider of [tts.fallback], "" = no fallback
  std::string transport = "http";  // [tts] only: http (a request per sentence) | websocket
  std::string espeak_voice = "en-us";  // provider = espeak: the espeak-ng voice
  uint32_t espeak_rate = 160;          // provider = espeak: words per minute
  std::string ca_file;  // PEM bundle that verifies the provider's TLS certificate; "" = system
};

struct pool_section {
  uint32_t max_active = 0;
  uint32_t max_queue = 100;
  millis queue_timeout{5000};
  uint32_t requests_per_minute = 0;  // llm only, 0 = unlimited
  uint32_t tokens_per_minute = 0;    // llm only, 0 = unlimited
  std::string on_exhausted = "wait"; // wait | hold | end (see call.hpp exhausted_action)
  uint32_t local_share = 0;          // per key while alone in a cluster; 0 = max_active
  millis reuse_delay{0};             // a returned slot is granted again after this
};

struct breaker_section {
  uint32_t failure_threshold = 5;
  uint32_t success_threshold = 2;
  millis open_timeout{10000};
  millis slow_threshold{0};  // a request slower than this counts as a failure; 0 = off
};

struct admission_section {
  uint32_t calls_per_minute = 0;      // 0 = unlimited
  uint32_t per_ip_per_minute = 0;
  uint32_t per_agent_per_minute = 0;
  std::vector<std::string> trusted_ips;      // CIDR; exempt from the per-IP limits
  std::vector<std::string> trusted_proxies;  // CIDR; X-Forwarded-For believed from these
  uint32_t pending_per_ip = 100;  // connections without start, per client address
  uint32_t pending_max = 1000;    // connections without start, on the node
  uint32_t max_message_bytes = 65536;   // one inbound WebSocket message
  uint32_t max_frames_per_second = 200; // inbound frames per connection (burst: as many)
  uint32_t max_send_buffer_bytes = 131072;  // frames queued for a caller who is not reading
  millis handshake_timeout{10000};  // accept -> upgraded (HTTP headers complete), else dropped
};

// Authentication of telephony upgrades, per dialect. Secrets come from the environment
// variables named here, never from the file (docs/configuration.md, [auth]).
struct auth_section {
  std::string twilio = "none";   // none | token | signature (X-Twilio-Signature)
  std::string exotel = "none";   // none | token | basic (wss://KEY:TOKEN@host)
  std::string token_env = "SWITCHBOARD_STREAM_TOKEN";        // mode token
  std::string twilio_auth_token_env = "TWILIO_AUTH_TOKEN";   // mode signature
  // The URL base Twilio dials (wss://voice.example.com): what it signs, when a proxy in
  // front changes the Host header or the path. "" = wss://<Host header>.
  std::string public_url;
  std::string exotel_credentials_env = "EXOTEL_STREAM_CREDENTIALS";  // mode basic: KEY:TOKEN
};

// The operator HTTP routes (/api/v1/stats, /api/v1/stats/pool, /metrics): where they are
// served and whether they need a bearer token. /health stays on node.listen, open.
struct http_section {
  host_port listen{"", 0};  // host "" = on node.listen
  bool separate() const { return !listen.host.empty(); }
  std::string token_env;    // "" = no token needed
  std::string phone = "auto";  // GET /phone: auto (node.listen on loopback), on, off
};

struct batcher_section {
  uint32_t max_entries = 100;
  millis max_delay{1000};
};

struct store_section {
  std::string transcripts = "sqlite:switchboard-transcripts.db";
};

struct sessions_section {
  std::string backend = "memory";
  millis ttl{3600000};
};

struct call_section {
  std::string greeting;              // spoken when the call starts; empty = none
  // Spoken to calls still up when the drain time is over; empty = none.
  std::string goodbye = "I am sorry, this line has to end the call now. Please call again. Goodbye.";
  std::string barge_in = "transcript";  // transcript | vad: what interrupts a reply
  millis max_duration{3600000};      // hard cap per call
  millis stt_buffer{60000};          // caller audio kept while waiting for STT
  millis stt_buffer_silence{1500};   // longest silence kept in it
  millis start_timeout{2000};        // connection -> start event
  millis send_ahead{400};            // reply audio sent up to this far ahead of playback
};

struct log_section {
  std::string level = "info";  // trace debug info warn error
  std::string format = "text"; // text | json
};

// The auto-scaling signal: a CloudWatch Embedded Metric Format line per interval.
struct metrics_section {
  millis emf_interval{0};                    // 0 = off
  std::string emf_namespace = "Switchboard";
  // NAME=VALUE dimensions ("{node}" in a value is the node's name).
  std::vector<std::pair<std::string, std::string>> emf_dimensions{{"Node", "{node}"}};
  std::string emf_file;                      // appended to; "" = standard output
};

// The node on EC2 ([aws], docs/deploy-aws.md): the instance's lifecycle from IMDSv2, the
// Auto Scaling lifecycle action, peers from DescribeInstances. Off by default.
struct aws_section {
  std::string lifecycle = "off";   // off | imds
  std::string discovery = "off";   // off | ec2: [cluster] seeds from DescribeInstances
  std::string imds_url = "http://169.254.169.254";
  std::string region;              // "" = the instance's (IMDS placement/region)
  std::string autoscaling_url;     // "" = https://autoscaling.REGION.amazonaws.com
  std::string ec2_url;             // "" = https://ec2.REGION.amazonaws.com
  std::string lifecycle_hook;      // "" = drain, but no lifecycle action to heartbeat or complete
  std::string asg_name;            // "" = the instance's aws:autoscaling:groupName tag
  std::string discovery_tag = "aws:autoscaling:groupName";  // KEY, or KEY=VALUE
  millis poll_interval{5000};
  millis heartbeat_interval{60000};
  millis spot_margin{30000};       // a Spot notice's drain ends this long before its time
  millis request_timeout{5000};    // one IMDS or API request
};

struct node_config {
  node_section node;
  cluster_section cluster;
  stt_section stt;
  llm_section llm;
  tts_section tts;
  // The second provider of a stage ([stt] fallback, [tts] fallback): used when the first
  // one's pool has no lease in time or its breaker is open. Its provider is the
  // `fallback` key of the first; it has its own keys, pool and breaker.
  stt_section stt_fallback;
  tts_section tts_fallback;
  pool_section pool_stt{20, 100, millis{5000}, 0, 0, "wait", 0, millis{250}};
  pool_section pool_llm{50, 200, millis{5000}, 0, 0, "wait", 0, millis{0}};
  pool_section pool_tts{10, 100, millis{5000}, 0, 0, "wait", 0, millis{250}};
  breaker_section breaker_stt;
  breaker_section breaker_llm;
  breaker_section breaker_tts;
  pool_section pool_stt_fallback{20, 100, millis{5000}, 0, 0, "wait", 0, millis{250}};
  pool_section pool_tts_fallback{10, 100, millis{5000}, 0, 0, "wait", 0, millis{250}};
  breaker_section breaker_stt_fallback;
  breaker_section breaker_tts_fallback;
  admission_section admission;
  auth_section auth;
  http_section http;
  batcher_section batcher;
  store_section store;
  sessions_section sessions;
  call_section call;
  log_section log;
  metrics_section metrics;
  aws_section aws;
};

} // namespace sb
