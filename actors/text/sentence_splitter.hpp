// Cuts a stream of LLM tokens into sentences so each can go to TTS as soon as it is
// complete. Pure text processing: no CAF, no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sb {

// A sentence is complete when
// - it ends in . ! ? (or … । ॥), optionally followed by closing quotes/brackets
//   (" ' ) ] } * ” ’ »), and then whitespace: "He said "yes." Then" splits after `."`;
// - a CJK full stop / exclamation / question mark (。！？) ends it even without whitespace;
// - a line ends (\n or \r): list items and paragraphs are sentences.
// It is NOT split after: decimals and other dots not followed by whitespace ("3.5",
// "example.com"); abbreviations (Mr. Mrs. Ms. Dr. Prof. St. Jr. Sr. vs. etc. e.g. i.e.
// a.m. p.m. U.S. and other dotted letter groups, single-letter initials "J."); ellipsis ("..."
// or "…") which may be mid-sentence; a list number alone ("1. Open settings").
// A run longer than max_chars bytes without a boundary is cut early so TTS can start: at
// the last , ; or : followed by a space within the first max_chars bytes, else at the last
// space, else (one huge word) at max_chars on a UTF-8 character boundary.
// Emitted sentences are trimmed of ASCII whitespace and never empty. Lengths are bytes.
class sentence_splitter {
public:
  explicit sentence_splitter(size_t max_chars = 200);

  // Adds a token; returns the sentences it completed, in order (often none).
  std::vector<std::string> feed(std::string_view token);

  // Returns whatever is left (trimmed; "" if nothing) and resets the splitter.
  std::string flush();

  // Bytes held back waiting for the end of the sentence.
  size_t pending() const { return buf_.size(); }

private:
  void scan(std::vector<std::string>& out);
  void cut_long(std::vector<std::string>& out);
  // Emits buf_[0, end) (trimmed, if not empty), erases it and the whitespace after it;
  // returns the number of bytes erased.
  size_t emit(size_t end, std::vector<std::string>& out);
  // Whether the terminator run [run_start, run_end) (plain dots / ellipsis only) ends a
  // sentence when followed by whitespace.
  bool dots_end_sentence(size_t run_start, size_t run_end) const;

  size_t max_chars_;
  std::string buf_;
  size_t scan_ = 0;  // buf_[0, scan_) holds no boundary; scanning resumes here
};

} // namespace sb
