// The progress line in a log (stderr not a terminal, as under ctest or a
// redirect): one line per tenth, then the final line once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

#include "ifq/progress.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

std::string stderr_of(const std::function<void()>& fn, const std::string& file) {
  std::fflush(stderr);
  const int saved = ::dup(2);
  std::FILE* f = std::fopen(file.c_str(), "w");
  ::dup2(::fileno(f), 2);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::fclose(f);
  return testing::read_bytes(file);
}

TEST(ProgressBar, ALogGetsATenthPerLineAndTheLastLineOnce) {
  if (::isatty(2)) GTEST_SKIP() << "stderr is a terminal here; the log format is for redirected runs";
  testing::TempDir dir;
  const std::string log = stderr_of(
      [] {
        ProgressBar bar("work", 10, true);
        for (int done = 1; done <= 10; ++done) bar.update(done, done, -1);
        bar.finish(10, 10, -1);
      },
      dir.file("log.txt"));
  int lines = 0, full = 0;
  size_t start = 0;
  for (size_t end; (end = log.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = log.substr(start, end - start);
    ++lines;
    if (line.find(" 10/10 ") != std::string::npos) {
      ++full;
      EXPECT_NE(line.find("took"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(lines, 10) << log;  // 1/10 .. 9/10, then the final line
  EXPECT_EQ(full, 1) << log;
}

TEST(ProgressBar, NamesItsUnitAndWaitsForOnePercentBeforeAnEta) {
  if (::isatty(2)) GTEST_SKIP() << "stderr is a terminal here; the log format is for redirected runs";
  testing::TempDir dir;
  const std::string log = stderr_of(
      [] {
        ProgressBar bar("eval", 1000, true, "networks");
        bar.update(5, 5000, -1);    // 0.5 %: decile 0, drawn with ETA "?"
        bar.update(100, 100000, -1);  // 10 %: an ETA
      },
      dir.file("log.txt"));
  EXPECT_NE(log.find("5/1000 networks "), std::string::npos) << log;
  EXPECT_NE(log.find("ETA ?\n"), std::string::npos) << log;
  const size_t at = log.find("100/1000 networks ");
  ASSERT_NE(at, std::string::npos) << log;
  const std::string line = log.substr(at, log.find('\n', at) - at);
  EXPECT_EQ(line.find("ETA ?"), std::string::npos) << line;
}

}  // namespace
}  // namespace ifq
