#include "net/io/tls_detail.hpp"

#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace sb::net {

std::string tls_failure_detail(lws* wsi, const std::string& lws_reason,
                               const std::string& ca_file) {
  auto trusted = ca_file.empty() ? std::string("the system trust store")
                                 : "ca_file '" + ca_file + "'";
  if (wsi) {
    if (auto* ssl = static_cast<SSL*>(lws_get_ssl(wsi))) {
      auto result = SSL_get_verify_result(ssl);
      if (result != X509_V_OK)
        return std::string("TLS: the provider's certificate was not accepted: ") +
               X509_verify_cert_error_string(result) + " (trusting " + trusted + ")";
    }
  }
  // lws words its TLS failures "... SSL ..." or "... tls ...".
  if (lws_reason.find("SSL") == std::string::npos &&
      lws_reason.find("ssl") == std::string::npos &&
      lws_reason.find("tls") == std::string::npos &&
      lws_reason.find("TLS") == std::string::npos)
    return "";
  return "TLS handshake failed (" + lws_reason + "; trusting " + trusted +
         "): check the provider URL's host and its certificate";
}

} // namespace sb::net
