// The one atomic file writer every command saves through: concurrent writers
// of one path, a failing writer and a missing folder.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/temp_dir.hpp"
#include "ifq/atomic_file.hpp"
#include "ifq/error.hpp"

namespace {

using ifq::testing::read_bytes;
using ifq::testing::TempDir;

bool one_writers_whole_file(const std::string& bytes, size_t size) {
  return bytes.size() == size && bytes.find_first_not_of(bytes[0]) == std::string::npos;
}

TEST(AtomicFile, ConcurrentWritersOfOnePathNeverMixAndLeaveNoTemporaries) {
  TempDir dir;
  const std::string path = dir.file("shared.bin");
  constexpr size_t kSize = 1 << 16;
  std::atomic<bool> writing{true};
  std::atomic<int> torn{0}, seen{0}, failed{0};
  std::thread reader([&] {
    while (writing) {
      const std::string now = read_bytes(path);
      if (now.empty()) continue;  // not written yet
      ++seen;
      if (!one_writers_whole_file(now, kSize)) ++torn;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t)
    writers.emplace_back([&, t] {
      const std::string bytes(kSize, char('a' + t));
      for (int k = 0; k < 25; ++k) try {
          ifq::write_file_atomic(path, bytes);
        } catch (const ifq::Error&) {
          ++failed;  // e.g. another writer renamed a shared temporary away
        }
    });
  for (auto& w : writers) w.join();
  writing = false;
  reader.join();
  EXPECT_EQ(failed, 0) << "of 200 writes";
  EXPECT_EQ(torn, 0) << "of " << seen << " reads";
  EXPECT_TRUE(one_writers_whole_file(read_bytes(path), kSize));
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "shared.bin");
  }
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, AFailingWriterKeepsTheOldFileAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir.file("model.bin");
  ifq::write_file_atomic(path, "old contents");
  std::string temporary;
  EXPECT_THROW(ifq::write_file_atomic_with(path,
                                           [&](const std::string& t) {
                                             temporary = t;
                                             ifq::write_file_atomic(t, "half");
                                             throw ifq::Error("disk full");
                                           }),
               ifq::Error);
  EXPECT_EQ(read_bytes(path), "old contents");
  EXPECT_NE(temporary, path);
  EXPECT_EQ(std::filesystem::path(temporary).parent_path(), std::filesystem::path(path).parent_path());
  EXPECT_FALSE(std::filesystem::exists(temporary));
}

TEST(AtomicFile, AMissingFolderIsAnErrorNamingThePath) {
  TempDir dir;
  const std::string path = dir.file("no/such/folder/out.txt");
  try {
    ifq::write_file_atomic(path, "x");
    FAIL() << "wrote into a missing folder";
  } catch (const ifq::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write " + path), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
