// Incremental Server-Sent-Events parser (the text/event-stream framing OpenAI streams
// use). Bytes go in as they arrive, split anywhere; complete events' data come out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sb::codec {

// Follows the WHATWG event-stream rules for what we need:
// - lines end in \n, \r\n or \r (a \r\n split across two feeds counts once);
// - "data:VALUE" appends VALUE (one leading space stripped) to the event's data, several
//   data lines joined with "\n"; a line without a colon is a field with an empty value;
// - a blank line ends the event; an event without any data line is not emitted (an event
//   with an empty data line is emitted as "");
// - comment lines (":...") and the fields event, id, retry and unknown ones are ignored.
// Not handled: a leading UTF-8 BOM (servers we talk to do not send one).
// A partial line plus the data of the event being built may hold at most `max_buffered`
// bytes; beyond that the parser stops, drops its buffers and overflowed() turns true.
class sse_parser {
public:
  explicit sse_parser(size_t max_buffered = 1 << 20) : max_buffered_(max_buffered) {}

  // Appends each event completed by these bytes to events_out. Does nothing once
  // overflowed. Never throws (on allocation failure it behaves as if overflowed).
  void feed(std::string_view bytes, std::vector<std::string>& events_out);

  bool overflowed() const { return overflowed_; }

  // Bytes held right now (partial line + pending event data).
  size_t buffered() const { return line_.size() + data_.size(); }

private:
  void line_done(std::vector<std::string>& events_out);

  size_t max_buffered_;
  std::string line_;   // the current, unterminated line
  std::string data_;   // data of the event being built
  bool has_data_ = false;
  bool after_cr_ = false;  // the last byte seen was a \r ending a line
  bool overflowed_ = false;
};

} // namespace sb::codec
