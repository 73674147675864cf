// The recogniser's dictionary cut down to the words a dialog's grammars use: the full
// CMU dictionary (134,000 words) costs each decoder tens of megabytes and most of its
// start-up; the dialog's hundred words cost about 6 MB and 20 ms.
#pragma once

#include <string>
#include <vector>

namespace sb::speech {

struct word_list_result {
  std::string text;                  // dictionary lines of the words found (with variants)
  std::vector<std::string> missing;  // words the dictionary does not have
  std::string error;                 // the dictionary could not be read
};

word_list_result select_words(const std::string& dictionary_path,
                              const std::vector<std::string>& words);

// A dictionary file that lives as long as this object (removed in the destructor).
class temp_file {
public:
  temp_file() = default;
  ~temp_file();
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  // Writes `text` to a new file under $TMPDIR (or /tmp); false with `error` set if not.
  bool write(const std::string& text, std::string& error);
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

} // namespace sb::speech
