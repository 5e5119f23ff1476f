#include "ifq/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "ifq/error.hpp"

namespace ifq {
namespace {

std::string temporary_name(const std::string& path) {
  static std::atomic<unsigned long> counter{0};
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
         std::to_string(now % 1000000007);
}

void remove_quietly(const std::string& file) {
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
}

// fsync by name: the bytes (and for a folder, the rename) reach the disk
// before the caller reports success.
bool sync_file(const std::string& file, int flags) {
  const int fd = ::open(file.c_str(), flags);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  return ::close(fd) == 0 && ok;
}

void publish(const std::string& temporary, const std::string& path) {
  if (!sync_file(temporary, O_RDONLY)) {
    const std::string cause = std::strerror(errno);
    remove_quietly(temporary);
    throw Error("cannot write " + path + ": flushing the temporary file failed: " + cause);
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    remove_quietly(temporary);
    throw Error("cannot write " + path + ": " + ec.message());
  }
  // The folder entry too; a folder that cannot be opened (no permission) keeps
  // the rename anyway, so this is best effort.
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  sync_file(folder.empty() ? std::string(".") : folder.string(), O_RDONLY | O_DIRECTORY);
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  write_file_atomic_with(path, [&](const std::string& temporary) {
    std::FILE* f = std::fopen(temporary.c_str(), "wb");
    if (!f) throw Error("cannot write " + path + ": cannot create " + temporary + ": " + std::strerror(errno));
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    const bool closed = std::fclose(f) == 0;
    if (!ok || !closed) throw Error("cannot write " + path + ": write failed (disk full?)");
  });
}

void write_file_atomic_with(const std::string& path, const std::function<void(const std::string& temporary)>& write) {
  const std::string temporary = temporary_name(path);
  try {
    write(temporary);
  } catch (...) {
    remove_quietly(temporary);
    throw;
  }
  publish(temporary, path);
}

}  // namespace ifq
