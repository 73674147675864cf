// Inspecting a live call for the debug console: the call actor answers call_inspect_atom
// with a call_snapshot (state, conversation, timings, leases). Read-only; never changes
// the call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/ports.hpp"

namespace sb {

using call_inspect_atom = caf::atom_constant<caf::atom("callinsp")>;
constexpr call_inspect_atom call_inspect_atom_v{};

struct call_lease_info {
  std::string provider;  // stt | llm | tts
  uint64_t stream = 0;
  uint64_t lease_id = 0;
  int64_t held_ms = 0;
};

struct call_snapshot {
  uint64_t session = 0;
  std::string call_sid;
  std::string stream_sid;
  std::string dialect;
  std::string route;
  std::string remote_ip;
  std::string state;                 // STARTING LISTENING THINKING RESPONDING ENDED
  uint64_t turn = 0;
  int64_t age_ms = 0;                // since the call actor started
  int64_t since_utterance_end_ms = -1;   // -1 = no utterance ended yet
  int64_t since_playback_start_ms = -1;  // -1 = no reply played yet
  std::vector<chat_message> history;
  std::vector<call_lease_info> leases;
  uint32_t pending_acquisitions = 0;
  uint64_t mailbox = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_lease_info& x) {
  return f(caf::meta::type_name("call_lease_info"), x.provider, x.stream, x.lease_id,
           x.held_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_snapshot& x) {
  return f(caf::meta::type_name("call_snapshot"), x.session, x.call_sid, x.stream_sid,
           x.dialect, x.route, x.remote_ip, x.state, x.turn, x.age_ms,
           x.since_utterance_end_ms, x.since_playback_start_ms, x.history, x.leases,
           x.pending_acquisitions, x.mailbox);
}

} // namespace sb
