// Small read helpers over lws request headers (lws thread only).
#pragma once

#include <string>

#include <libwebsockets.h>

#include "tools/provider_sim/http_types.hpp"

namespace sb::sim {

std::string header_value(lws* wsi, lws_token_indexes token);
// name with its trailing colon, lower case, e.g. "xi-api-key:"
std::string custom_header_value(lws* wsi, const char* name);
query_map query_args(lws* wsi);

// Method, query, auth headers and content type of the request on `wsi` (no body).
http_request request_head(lws* wsi, std::string path);

} // namespace sb::sim
