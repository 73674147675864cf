// Text as PostgreSQL's TEXT takes it: valid UTF-8 without NUL bytes. A transcript entry
// that is not (a provider's stray byte) would fail its whole batch on every retry and hold
// up everything behind it, so each bad byte becomes U+FFFD instead.
#pragma once

#include <string>

namespace sb::store {

std::string utf8_text(const std::string& s);

} // namespace sb::store
