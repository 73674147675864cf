#include "actors/call_inspect.hpp"

#include <caf/event_based_actor.hpp>

namespace sb {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

int64_t ms_since(call_clock::time_point t, call_clock::time_point now) {
  if (t == call_clock::time_point{})
    return -1;
  return duration_cast<milliseconds>(now - t).count();
}

} // namespace

caf::message_handler inspect_handler(caf::event_based_actor* self, const call_data& d,
                                     const call_leases& leases, call_state state) {
  return {[self, &d, &leases, state](call_inspect_atom) {
    auto now = self->clock().now();
    call_snapshot s;
    s.session = d.deps.info.session;
    s.call_sid = d.start.call_sid;
    s.stream_sid = d.start.stream_sid;
    s.dialect = to_string(d.deps.info.kind);
    s.route = d.deps.info.route;
    s.remote_ip = d.deps.info.remote_ip;
    s.state = to_string(state);  // the active behaviour's (enter() keeps d.state the same)
    s.turn = d.turn;
    s.age_ms = ms_since(d.created, now);
    s.since_utterance_end_ms = ms_since(d.utterance_end, now);
    s.since_playback_start_ms = ms_since(d.playback_started, now);
    s.history = d.history;
    leases.each_held([&](stream_id stream, uint64_t lease, call_clock::time_point since) {
      const char* provider = stream == d.stt ? "stt" : stream == d.llm ? "llm" : "tts";
      s.leases.push_back({provider, stream, lease, ms_since(since, now)});
    });
    s.pending_acquisitions = static_cast<uint32_t>(leases.pending_count());
    s.mailbox = self->mailbox().size();
    return s;
  }};
}

} // namespace sb
