#include "net/codec/sse_parser.hpp"

namespace sb::codec {

void sse_parser::line_done(std::vector<std::string>& events_out) {
  std::string_view line = line_;
  if (line.empty()) {
    if (has_data_)
      events_out.push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
  } else if (line.front() != ':') {
    std::string_view field = line;
    std::string_view value;
    if (auto colon = line.find(':'); colon != std::string_view::npos) {
      field = line.substr(0, colon);
      value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    }
    if (field == "data") {
      if (has_data_)
        data_ += '\n';
      data_ += value;
      has_data_ = true;
    }
  }
  line_.clear();
}

void sse_parser::feed(std::string_view bytes, std::vector<std::string>& events_out) {
  if (overflowed_)
    return;
  try {
    size_t i = 0;
    while (i < bytes.size()) {
      char c = bytes[i];
      if (after_cr_) {
        after_cr_ = false;
        if (c == '\n') {
          ++i;
          continue;
        }
      }
      if (c == '\n' || c == '\r') {
        after_cr_ = c == '\r';
        line_done(events_out);
        ++i;
        continue;
      }
      // Copy the run of ordinary bytes up to the next line end in one go.
      size_t end = bytes.find_first_of("\r\n", i);
      if (end == std::string_view::npos)
        end = bytes.size();
      if (buffered() + (end - i) > max_buffered_) {
        overflowed_ = true;
        break;
      }
      line_.append(bytes.data() + i, end - i);
      i = end;
    }
  } catch (const std::exception&) {
    overflowed_ = true;
  }
  if (overflowed_) {
    line_.clear();
    line_.shrink_to_fit();
    data_.clear();
    data_.shrink_to_fit();
    has_data_ = false;
  }
}

} // namespace sb::codec
