// Messages of the offline providers' actors (actors/offline/): the recogniser of one
// call's STT stream and the one espeak-ng synthesiser of the node. The call actor never
// sees them: it talks to provider_port (runtime/offline_providers.hpp) as to any provider.
#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/provider_events.hpp"

namespace sb {

// To a recogniser: flush (the last words come as a final transcript), then provider_closed.
using stt_finish_atom = caf::atom_constant<caf::atom("sttfinish")>;
constexpr stt_finish_atom stt_finish_atom_v{};
// To a recogniser, from the scripted dialog: it has answered a turn of the call (its
// state may have changed; dialog_calls::listening_of says where it is).
using dialog_answered_atom = caf::atom_constant<caf::atom("dlganswer")>;
constexpr dialog_answered_atom dialog_answered_atom_v{};
// To a recogniser: close at once (only provider_closed follows).
using stream_cancel_atom = caf::atom_constant<caf::atom("strcancel")>;
constexpr stream_cancel_atom stream_cancel_atom_v{};

// To the synthesiser: speak `text` for `owner` as stream `id` (tts_audio..., tts_done).
struct offline_tts_request {
  stream_id id = 0;
  caf::actor owner;
  std::string text;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offline_tts_request& x) {
  return f(caf::meta::type_name("offline_tts_request"), x.id, x.owner, x.text);
}

} // namespace sb
