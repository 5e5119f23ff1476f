#pragma once
// A one-line progress bar on stderr: label, bar, units done of total (named
// by `unit`, e.g. "networks", when they are not obvious), loss, images/s,
// ETA. The ETA shows "?" until 1 % of the work is done: one unit after a
// slow start would extrapolate to hours. On a terminal it redraws in place;
// otherwise it prints a line every ~10%.
#include <chrono>
#include <cstdint>
#include <string>

namespace ifq {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled, std::string unit = "");
  // done: units finished; images: images processed since start(); loss < 0 hides it.
  void update(int64_t done, int64_t images, double loss);
  void finish(int64_t done, int64_t images, double loss);

 private:
  void draw(int64_t done, int64_t images, double loss, bool final);
  std::string label_, unit_;
  int64_t total_;
  bool enabled_, tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);  // "1:05" or "1:02:03"

}  // namespace ifq
