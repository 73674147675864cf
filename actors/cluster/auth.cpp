#include "actors/cluster/auth.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace sb::cluster {

namespace {

std::string hex(const unsigned char* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 0xf];
  }
  return out;
}

} // namespace

std::string make_nonce() {
  unsigned char buf[32];
  if (RAND_bytes(buf, sizeof buf) != 1)
    throw std::runtime_error("RAND_bytes failed: no randomness for the cluster nonce");
  return hex(buf, sizeof buf);
}

std::string proof(const std::string& secret, const std::string& purpose,
                  const std::string& nonce) {
  auto data = purpose + ":" + nonce;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    return "";
  return hex(out, len);
}

bool proofs_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty())
    return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace sb::cluster
