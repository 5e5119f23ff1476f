#include "cfg/cfg_text.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "ifq/error.hpp"

namespace ifq::cfg_detail {
namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

[[noreturn]] void fail_at(const std::string& source, int line, const std::string& what) {
  throw Error(source + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

std::vector<CfgSection> split_cfg_sections(const std::string& text, const std::string& source) {
  std::vector<CfgSection> sections;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    std::string s = raw;
    if (size_t c = s.find_first_of("#;"); c != std::string::npos) s.resize(c);
    s = trim(s);
    if (s.empty()) continue;
    if (s.front() == '[') {
      if (s.back() != ']' || s.size() < 3) fail_at(source, line, "malformed section header '" + s + "'");
      sections.push_back({lower(trim(s.substr(1, s.size() - 2))), line, {}});
      continue;
    }
    size_t eq = s.find('=');
    if (eq == std::string::npos) fail_at(source, line, "expected key=value, got '" + s + "'");
    std::string key = lower(trim(s.substr(0, eq)));
    std::string value = trim(s.substr(eq + 1));
    if (key.empty()) fail_at(source, line, "empty key before '='");
    if (sections.empty()) fail_at(source, line, "key '" + key + "' appears before the first [section]");
    for (const auto& e : sections.back().entries)
      if (e.key == key)
        fail_at(source, line, "key '" + key + "' repeated (first on line " + std::to_string(e.line) + ")");
    sections.back().entries.push_back({key, value, line, false});
  }
  if (sections.empty()) throw Error(source + ": no [section] found (empty or not a cfg file)");
  return sections;
}

CfgEntry* SectionReader::find(const std::string& key) {
  for (auto& e : s_.entries)
    if (e.key == key) return &e;
  return nullptr;
}
const CfgEntry* SectionReader::find(const std::string& key) const {
  for (const auto& e : s_.entries)
    if (e.key == key) return &e;
  return nullptr;
}

bool SectionReader::has(const std::string& key) const { return find(key) != nullptr; }

void SectionReader::fail(const std::string& key, const std::string& what) const {
  const CfgEntry* e = find(key);
  fail_at(source_, e ? e->line : s_.line, "[" + s_.name + "] key '" + key + "': " + what);
}

void SectionReader::fail_section(const std::string& what) const {
  fail_at(source_, s_.line, "[" + s_.name + "]: " + what);
}

namespace {
bool parse_double(const std::string& text, double& out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return errno == 0 && end && *end == '\0' && std::isfinite(out);
}
bool parse_long(const std::string& text, long long& out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  out = std::strtoll(text.c_str(), &end, 10);
  return errno == 0 && end && *end == '\0';
}
}  // namespace

int SectionReader::get_int(const std::string& key, int fallback, int lo, int hi) {
  CfgEntry* e = find(key);
  if (!e) return fallback;
  e->used = true;
  long long v = 0;
  if (!parse_long(e->value, v)) fail(key, "expected an integer, got '" + e->value + "'");
  if (v < lo || v > hi)
    fail(key, "value " + e->value + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return int(v);
}

int SectionReader::require_int(const std::string& key, int lo, int hi) {
  if (!has(key)) fail(key, "required key is missing");
  return get_int(key, 0, lo, hi);
}

double SectionReader::get_double(const std::string& key, double fallback, double lo, double hi) {
  CfgEntry* e = find(key);
  if (!e) return fallback;
  e->used = true;
  double v = 0;
  if (!parse_double(e->value, v)) fail(key, "expected a number, got '" + e->value + "'");
  if (v < lo || v > hi) {
    std::ostringstream os;
    os << "value " << e->value << " outside [" << lo << ", " << hi << "]";
    fail(key, os.str());
  }
  return v;
}

std::string SectionReader::get_string(const std::string& key, const std::string& fallback) {
  CfgEntry* e = find(key);
  if (!e) return fallback;
  e->used = true;
  if (e->value.empty()) fail(key, "empty value");
  return lower(e->value);
}

std::string SectionReader::require_string(const std::string& key) {
  if (!has(key)) fail(key, "required key is missing");
  return get_string(key, "");
}

// Calls parse(item) for each comma-separated item of `key`'s value; an
// absent key gives no calls, a present but empty list is an error.
template <class ParseItem>
void SectionReader::for_each_item(const std::string& key, ParseItem parse) {
  CfgEntry* e = find(key);
  if (!e) return;
  e->used = true;
  std::stringstream ss(e->value);
  std::string item;
  bool any = false;
  while (std::getline(ss, item, ',')) {
    parse(trim(item), e->value);
    any = true;
  }
  if (!any) fail(key, "empty list");
}

std::vector<double> SectionReader::get_doubles(const std::string& key) {
  std::vector<double> out;
  for_each_item(key, [&](const std::string& item, const std::string& whole) {
    double v = 0;
    if (!parse_double(item, v)) fail(key, "expected a comma-separated list of numbers, got '" + whole + "'");
    out.push_back(v);
  });
  return out;
}

std::vector<int> SectionReader::get_ints(const std::string& key, int lo, int hi) {
  std::vector<int> out;
  for_each_item(key, [&](const std::string& item, const std::string& whole) {
    long long v = 0;
    if (!parse_long(item, v)) fail(key, "expected a comma-separated list of integers, got '" + whole + "'");
    if (v < lo || v > hi) fail(key, "value " + item + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out.push_back(int(v));
  });
  return out;
}

std::vector<std::string> SectionReader::accept_ignored(const std::vector<std::string>& keys) {
  std::vector<std::string> hit;
  for (auto& e : s_.entries)
    if (!e.used && std::find(keys.begin(), keys.end(), e.key) != keys.end()) {
      e.used = true;
      hit.push_back(source_ + ":" + std::to_string(e.line) + ": " + e.key);
    }
  return hit;
}

void SectionReader::reject_unknown() const {
  for (const auto& e : s_.entries)
    if (!e.used) fail_at(source_, e.line, "[" + s_.name + "] unknown key '" + e.key + "'");
}

}  // namespace ifq::cfg_detail
