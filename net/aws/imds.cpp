#include "net/aws/imds.hpp"

#include <ctime>

#include <nlohmann/json.hpp>

namespace sb::aws {

namespace {

using namespace std::chrono_literals;
constexpr int token_ttl_s = 21600;  // the longest IMDS allows: 6 hours

} // namespace

imds_client::imds_client(std::string base_url, std::chrono::milliseconds timeout)
  : base_(std::move(base_url)), timeout_(timeout) {
  while (!base_.empty() && base_.back() == '/')
    base_.pop_back();
}

bool imds_client::fetch_token(std::string& err) {
  auto r = http_call("PUT", base_ + "/latest/api/token",
                     {"X-aws-ec2-metadata-token-ttl-seconds: " + std::to_string(token_ttl_s)},
                     "", timeout_);
  if (!r.ok() || r.body.empty()) {
    err = "IMDS token (PUT " + base_ + "/latest/api/token): " + describe(r);
    token_.clear();
    return false;
  }
  token_ = r.body;
  token_renew_at_ = std::chrono::steady_clock::now() + std::chrono::seconds{token_ttl_s} - 5min;
  return true;
}

http_response imds_client::get(const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (token_.empty() || std::chrono::steady_clock::now() >= token_renew_at_) {
      std::string err;
      if (!fetch_token(err)) {
        http_response r;
        r.error = err;
        return r;
      }
    }
    auto r = http_call("GET", base_ + "/latest/" + path,
                       {"X-aws-ec2-metadata-token: " + token_}, "", timeout_);
    if (r.error.empty() && r.status == 401) {  // the token expired or was refused: a new one
      token_.clear();
      if (attempt == 0)
        continue;
    }
    return r;
  }
  return {};
}

std::string imds_client::read(const std::string& path, std::string& err) {
  auto r = get(path);
  if (r.ok())
    return r.body;
  err = "IMDS " + path + ": " + describe(r);
  return "";
}

bool imds_client::role_credentials(credentials& out, std::string& err) {
  auto now = std::chrono::system_clock::now();
  if (!creds_.access_key_id.empty() && now < creds_renew_at_) {
    out = creds_;
    return true;
  }
  if (role_.empty()) {
    auto roles = read("meta-data/iam/security-credentials/", err);
    if (roles.empty()) {
      if (err.empty())
        err = "IMDS meta-data/iam/security-credentials/: no instance role";
      return false;
    }
    role_ = roles.substr(0, roles.find('\n'));
  }
  auto body = read("meta-data/iam/security-credentials/" + role_, err);
  if (body.empty()) {
    role_.clear();  // the role may have been replaced: list it again next time
    return false;
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  std::chrono::system_clock::time_point expires;
  if (!j.is_object() || !j["AccessKeyId"].is_string() || !j["SecretAccessKey"].is_string() ||
      !j["Token"].is_string() || !j["Expiration"].is_string() ||
      !parse_utc_time(j["Expiration"].get<std::string>(), expires)) {
    err = "IMDS meta-data/iam/security-credentials/" + role_ +
          ": expected JSON with AccessKeyId, SecretAccessKey, Token and Expiration";
    return false;
  }
  if (j.contains("Code") && j["Code"].is_string() && j["Code"] != "Success") {
    err = "IMDS role credentials: Code " + j["Code"].get<std::string>();
    return false;
  }
  creds_ = {j["AccessKeyId"], j["SecretAccessKey"], j["Token"]};
  // New credentials appear in IMDS well before the old ones expire; take them 5 minutes
  // ahead (at once when they expire sooner than that).
  creds_renew_at_ = expires - 5min;
  out = creds_;
  return true;
}

bool parse_utc_time(const std::string& s, std::chrono::system_clock::time_point& out) {
  std::tm tm{};
  if (s.size() < 20)
    return false;
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end)
    return false;
  if (*end == '.')  // fractional seconds: ignored
    for (++end; *end >= '0' && *end <= '9'; ++end) {
    }
  if (std::string(end) != "Z")
    return false;
  out = std::chrono::system_clock::from_time_t(timegm(&tm));
  return true;
}

std::string describe(const http_response& r) {
  if (!r.error.empty())
    return r.error;
  auto body = r.body.substr(0, 200);
  for (auto& c : body)
    if (c == '\n' || c == '\r')
      c = ' ';
  return "HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + body);
}

} // namespace sb::aws
