// Proving the cluster secret without sending it: each side sends a random nonce and the
// other answers HMAC-SHA256(secret, purpose + ":" + nonce). Used by nodes joining each
// other and by the debug console (see messages/cluster.hpp for the exchange).
#pragma once

#include <string>

namespace sb::cluster {

// 32 random bytes from OpenSSL's CSPRNG, hex encoded.
std::string make_nonce();

// HMAC-SHA256(secret, purpose + ":" + nonce), hex encoded. `purpose` is "member" (the
// member's proof to a joiner) or "join" (the joiner's proof), so one proof can never be
// replayed as the other.
std::string proof(const std::string& secret, const std::string& purpose,
                  const std::string& nonce);

// Compares two proofs in constant time (for equal lengths).
bool proofs_equal(const std::string& a, const std::string& b);

} // namespace sb::cluster
