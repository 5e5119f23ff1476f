#include "text_lines.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ifq::detect {

TextLines::TextLines(const std::string& file) : file_(file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot open " + file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines_.push_back(std::move(line));
  }
  if (in.bad()) throw Error("cannot read " + file);
}

const std::string& TextLines::next(const char* expecting) {
  if (done()) {
    throw Error(file_ + ":" + std::to_string(lines_.size() + 1) + ": unexpected end of file, expected " +
                expecting);
  }
  return lines_[next_++];
}

void TextLines::skip_blank() {
  while (!done() && trim(lines_[next_]).empty()) ++next_;
}

void TextLines::fail(const std::string& what) const {
  throw Error(file_ + ":" + std::to_string(next_) + ": " + what);
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n\f\v";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

bool parse_numbers(const std::string& line, std::vector<double>& out) {
  out.clear();
  const char* p = line.c_str();
  while (true) {
    while (*p == ' ' || *p == '\t') ++p;
    if (*p == '\0') return true;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(p, &end);
    if (end == p || errno == ERANGE || !(*end == ' ' || *end == '\t' || *end == '\0')) return false;
    if (!std::isfinite(v)) return false;  // nan, inf
    out.push_back(v);
    p = end;
  }
}

bool parse_count(const std::string& line, long long& out) {
  const std::string t = trim(line);
  if (t.empty() || t.size() > 12) return false;
  for (char c : t)
    if (c < '0' || c > '9') return false;
  out = std::stoll(t);
  return true;
}

}  // namespace ifq::detect
