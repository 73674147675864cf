#include "net/io/http_slots.hpp"

#include <algorithm>
#include <cstring>

#include <libwebsockets.h>

namespace sb::net {

http_slots::http_slots(lws_context* ctx, const lws_protocols* protocols, std::string name,
                       std::string ca_file, std::chrono::milliseconds keep_alive)
  : ctx_(ctx), protocols_(protocols), name_(std::move(name)), ca_file_(std::move(ca_file)),
    keep_alive_(keep_alive) {}

lws_vhost* http_slots::make_vhost(const std::string& name) {
  // lws keeps the name's pointer, not a copy: the name lives as long as this object.
  const std::string& kept = names_.emplace_back(name);
  lws_context_creation_info vi;
  std::memset(&vi, 0, sizeof vi);
  vi.port = CONTEXT_PORT_NO_LISTEN;
  vi.vhost_name = kept.c_str();
  vi.protocols = protocols_;
  // A provider's own CA bundle replaces the system's store, it does not add to it.
  // Certificates and host names are always verified: no connection is made unverified.
  vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
               (ca_file_.empty() ? 0 : LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS);
  vi.client_ssl_ca_filepath = ca_file_.empty() ? nullptr : ca_file_.c_str();
  return lws_create_vhost(ctx_, &vi);
}

bool http_slots::init(std::string& error) {
  base_ = make_vhost(name_);
  if (!base_)
    error = "cannot set up TLS for the " + name_ +
            (ca_file_.empty() ? "" : " with ca_file '" + ca_file_ + "'");
  return base_ != nullptr;
}

uint16_t http_slots::keep_warm_secs() const {
  auto s = (keep_alive_.count() + 999) / 1000;  // whole seconds, rounded up
  return static_cast<uint16_t>(std::clamp<long long>(s, 1, 65535));
}

http_slots::taken http_slots::take() {
  if (!enabled())
    return {base_, -1, false};
  int i = -1;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else if (slots_.size() < max_slots) {
    // The first slot uses the vhost made at start-up; later ones get their own.
    auto* vh = slots_.empty() ? base_
                              : make_vhost(name_ + "-" + std::to_string(slots_.size()));
    if (!vh)
      return {base_, -1, false};
    slots_.push_back({vh});
    i = static_cast<int>(slots_.size()) - 1;
  } else {
    return {base_, -1, false};  // more requests in flight than slots: no reuse for this one
  }
  auto& s = slots_[static_cast<size_t>(i)];
  s.busy = true;
  bool warm = s.warm && clock::now() - s.idle_since < keep_alive_;
  s.warm = false;
  return {s.vhost, i, warm};
}

void http_slots::give_back(int i, bool reusable) {
  if (i < 0 || static_cast<size_t>(i) >= slots_.size())
    return;
  auto& s = slots_[static_cast<size_t>(i)];
  if (!s.busy)
    return;
  s.busy = false;
  s.warm = reusable;
  s.idle_since = clock::now();
  ++s.generation;
  free_.push_back(i);
}

void http_slots::idle_closed(int i, uint32_t generation) {
  if (i < 0 || static_cast<size_t>(i) >= slots_.size())
    return;
  auto& s = slots_[static_cast<size_t>(i)];
  if (!s.busy && s.generation == generation)
    s.warm = false;
}

uint32_t http_slots::generation(int i) const {
  return i < 0 || static_cast<size_t>(i) >= slots_.size()
           ? 0
           : slots_[static_cast<size_t>(i)].generation;
}

size_t http_slots::idle() const {
  auto now = clock::now();
  return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [&](const slot& s) {
    return !s.busy && s.warm && now - s.idle_since < keep_alive_;
  }));
}

} // namespace sb::net
