// Where the softphone page (GET /phone, [http] phone) is served: pure rules, no sockets.
#pragma once

#include <string>

namespace sb::admission {

// 127.0.0.0/8, ::1 (bracketed or not), ::ffff:127.x.x.x or "localhost".
bool is_loopback_host(const std::string& host);

// [http] phone resolved for a node listening on `listen_host`: "on" always; "auto" when
// that host is a loopback address; "off" (or anything else) never.
bool phone_served(const std::string& mode, const std::string& listen_host);

} // namespace sb::admission
