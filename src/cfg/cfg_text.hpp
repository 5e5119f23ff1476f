#pragma once
// Darknet cfg text -> sections of key=value lines, with line numbers kept for
// error messages. Knows nothing about layers (cfg_build.cpp does).
#include <string>
#include <vector>

namespace ifq::cfg_detail {

struct CfgEntry {
  std::string key, value;
  int line = 0;
  bool used = false;
};

struct CfgSection {
  std::string name;  // without brackets, lower case
  int line = 0;
  std::vector<CfgEntry> entries;
};

// Splits `text` into sections. '#' and ';' start comments; blank lines are
// skipped; a key=value line before the first section, a line without '=',
// an empty key or a repeated key is an error naming source:line.
std::vector<CfgSection> split_cfg_sections(const std::string& text, const std::string& source);

// Typed access to one section's keys; every failure names source:line: key.
class SectionReader {
 public:
  SectionReader(CfgSection& section, std::string source) : s_(section), source_(std::move(source)) {}

  bool has(const std::string& key) const;
  int get_int(const std::string& key, int fallback, int lo, int hi);
  int require_int(const std::string& key, int lo, int hi);
  double get_double(const std::string& key, double fallback, double lo, double hi);
  std::string get_string(const std::string& key, const std::string& fallback);
  std::string require_string(const std::string& key);
  std::vector<double> get_doubles(const std::string& key);  // comma list, empty if absent
  std::vector<int> get_ints(const std::string& key, int lo, int hi);

  // Marks keys that Darknet knows but that change nothing here; returns them.
  std::vector<std::string> accept_ignored(const std::vector<std::string>& keys);
  // Throws for the first key no getter or accept_ignored() consumed.
  void reject_unknown() const;

  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  [[noreturn]] void fail_section(const std::string& what) const;
  const CfgSection& section() const { return s_; }
  const std::string& source() const { return source_; }

 private:
  template <class ParseItem>
  void for_each_item(const std::string& key, ParseItem parse);
  CfgEntry* find(const std::string& key);
  const CfgEntry* find(const std::string& key) const;
  CfgSection& s_;
  std::string source_;
};

}  // namespace ifq::cfg_detail
