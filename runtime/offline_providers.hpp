// The offline providers ([stt] provider = sphinx, [llm] provider = scripted, [tts]
// provider = espeak) behind the same provider_port as the network clients: the call actor,
// its pool leases and its metrics are the same for both. Stages that stay on a network
// provider go on to the I/O thread's port. Built once at start-up.
#pragma once

#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "messages/config.hpp"
#include "messages/ports.hpp"

namespace sb {

struct offline_service;  // runtime/offline_providers.cpp

class offline_providers {
public:
  ~offline_providers();
  // Stops the synthesiser's actor (the node stops its actors before it awaits them all);
  // the destructor does it too.
  void stop();
  // Loads the dialog, the recogniser's model and the synthesiser, as configured; false
  // with `error` set (FILE:LINE: message lines for the dialog) if any cannot be used.
  bool start(caf::actor_system& sys, const node_config& cfg, std::string& error);
  bool active() const { return svc_ != nullptr; }
  // Whether this stage ("stt", "llm", "tts") runs offline.
  bool offline(const std::string& stage) const;
  // The dialog's greeting (its start state's prompt); "" without [llm] scripted.
  std::string greeting() const;
  // The ports a call uses: offline stages here, the others through `net`.
  std::shared_ptr<provider_port> providers(std::shared_ptr<provider_port> net);
  std::shared_ptr<telephony_port> telephony(std::shared_ptr<telephony_port> net);

private:
  std::shared_ptr<offline_service> svc_;
  std::shared_ptr<provider_port> providers_;
  std::shared_ptr<telephony_port> telephony_;
};

} // namespace sb
