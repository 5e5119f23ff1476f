#pragma once
// Private helper for the annotation loaders: a whole text file split into
// lines, with "file:line: " error messages.
#include <string>
#include <vector>

#include "ifq/error.hpp"

namespace ifq::detect {

class TextLines {
 public:
  explicit TextLines(const std::string& file);  // throws if unreadable
  bool done() const { return next_ >= lines_.size(); }
  // The next line (CR stripped); throws "unexpected end of file" if none.
  const std::string& next(const char* expecting);
  // The next line without consuming it (nullptr at the end).
  const std::string* peek() const { return done() ? nullptr : &lines_[next_]; }
  // Skips lines that are empty or only whitespace.
  void skip_blank();
  int line_number() const { return int(next_); }  // 1-based number of the last line read
  [[noreturn]] void fail(const std::string& what) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> lines_;
  size_t next_ = 0;
};

// Whitespace-separated numbers of a line; false if any token is not a number.
bool parse_numbers(const std::string& line, std::vector<double>& out);
// A non-negative integer that fills the whole (trimmed) line.
bool parse_count(const std::string& line, long long& out);
std::string trim(const std::string& s);

}  // namespace ifq::detect
