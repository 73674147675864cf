// GET /phone: the browser softphone, net/phone/phone.html embedded in the binary at build
// time (CMakeLists.txt generates its .cpp). Who may have it: net/admission/phone_access.hpp
// and [http] token_env (docs/softphone.md).
#pragma once

#include <string_view>

namespace sb::net {

// The page: HTML with its script and styles, no other file.
std::string_view phone_page_html();

} // namespace sb::net
