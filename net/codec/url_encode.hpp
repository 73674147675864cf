// Building request paths for provider clients.
#pragma once

#include <string>
#include <string_view>

namespace sb::codec {

// Percent-encodes everything except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~),
// so the result is safe both as a query value and as one path segment.
std::string url_encode(std::string_view s);

// base_path ("" or "/v1", a trailing '/' is dropped) followed by path ("/listen...").
std::string join_path(std::string_view base_path, std::string_view path);

} // namespace sb::codec
