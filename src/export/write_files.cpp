// Writing the exported sources: each file through a temporary and a rename,
// so an interrupted export never leaves a half-written file behind.
#include <cctype>
#include <filesystem>
#include <system_error>

#include "ifq/atomic_file.hpp"
#include "ifq/error.hpp"
#include "ifq/export_c.hpp"

namespace ifq {

std::string export_name_from(const std::string& text) {
  std::string name;
  for (char ch : text) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  if (name.size() > 56) name.resize(56);
  std::string head = name.substr(0, 3);
  for (char& ch : head) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) || head == "ifq") name = "net_" + name;
  return name;
}

std::vector<std::string> write_export(const ExportedC& exported, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw Error("export-c: cannot create output directory '" + dir + "'" + (ec ? ": " + ec.message() : ""));
  const std::filesystem::path d(dir);
  const std::vector<std::pair<std::string, const std::string*>> files = {
      {exported.name + "_model.h", &exported.model_h},
      {exported.name + "_model.c", &exported.model_c},
      {"ifq_micro.h", &micro_runtime_header()},
      {"ifq_micro.c", &micro_runtime_source()},
  };
  std::vector<std::string> written;
  for (const auto& [file, text] : files) {
    write_file_atomic((d / file).string(), *text);
    written.push_back((d / file).string());
  }
  return written;
}

}  // namespace ifq
