#pragma once
// A per-test scratch folder under the system temp directory.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace ifq::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("ifq-test-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The "ifq.version" a model file's header declares ("?" if none).
inline std::string model_file_version(const std::string& path) {
  const std::string bytes = read_bytes(path);
  const size_t at = bytes.find("\"ifq.version\":\"");
  return at == std::string::npos ? std::string("?") : bytes.substr(at + 15, 1);
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace ifq::testing
