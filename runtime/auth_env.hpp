// The secrets of [auth] and [http], from the environment variables the config names.
#pragma once

#include <string>

#include "messages/config.hpp"
#include "net/io/io_loop.hpp"

namespace sb {

// Fills `out` for the configured modes. False with `error` (naming the variable, never
// a value) when a mode that needs a secret finds its variable unset or empty, or the
// value malformed: a node asked to check credentials never runs open.
bool load_edge_auth(const node_config& cfg, net::edge_auth& out, std::string& error);

} // namespace sb
