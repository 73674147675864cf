#include "net/aws/http.hpp"

#include <mutex>

#include <curl/curl.h>

namespace sb::aws {

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace

http_response http_call(const std::string& method, const std::string& url,
                        const std::vector<std::string>& headers, const std::string& body,
                        std::chrono::milliseconds timeout, const sigv4_signing* sign) {
  global_init();
  http_response r;
  CURL* h = curl_easy_init();
  if (!h) {
    r.error = "cannot create a libcurl handle";
    return r;
  }
  curl_slist* list = nullptr;
  for (auto& line : headers)
    list = curl_slist_append(list, line.c_str());
  std::string provider, userpwd;
  if (sign) {
    provider = "aws:amz:" + sign->region + ":" + sign->service;
    userpwd = sign->creds.access_key_id + ":" + sign->creds.secret_access_key;
    if (!sign->creds.token.empty())
      list = curl_slist_append(list, ("X-Amz-Security-Token: " + sign->creds.token).c_str());
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, provider.c_str());
    curl_easy_setopt(h, CURLOPT_USERPWD, userpwd.c_str());
  }
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");  // IMDS and the endpoints: never a proxy
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  if (method == "POST" || method == "PUT") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    if (method == "PUT")
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
  }
  if (list)
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  auto rc = curl_easy_perform(h);
  if (rc != CURLE_OK)
    r.error = err[0] ? err : curl_easy_strerror(rc);
  else
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  return r;
}

} // namespace sb::aws
