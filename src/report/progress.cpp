#include "ifq/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace ifq {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = long(std::lround(seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled, std::string unit)
    : label_(std::move(label)), unit_(unit.empty() ? "" : " " + unit), total_(total > 0 ? total : 1), enabled_(enabled), tty_(isatty(2) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void ProgressBar::update(int64_t done, int64_t images, double loss) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(200)) return;
  } else {
    // A log gets a line per tenth; the last one is finish()'s ("took").
    const int decile = int(10 * done / total_);
    if (decile == last_decile_ || done >= total_) return;
    last_decile_ = decile;
  }
  last_draw_ = now;
  draw(done, images, loss, false);
}

void ProgressBar::finish(int64_t done, int64_t images, double loss) {
  if (!enabled_) return;
  draw(done, images, loss, true);
}

void ProgressBar::draw(int64_t done, int64_t images, double loss, bool final) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? double(images) / elapsed : 0;
  const double frac = std::min(1.0, double(done) / double(total_));
  const double eta = done > 0 && 100 * done >= total_ ? elapsed * double(total_ - done) / double(done) : NAN;
  constexpr int width = 24;
  std::string bar(size_t(width), ' ');
  for (int i = 0; i < int(frac * width); ++i) bar[size_t(i)] = '#';
  char loss_text[32] = "";
  if (loss >= 0) std::snprintf(loss_text, sizeof loss_text, " loss %.4f", loss);
  std::fprintf(stderr, "%s%s [%s] %lld/%lld%s%s %.0f img/s %s %s%s", tty_ ? "\r" : "", label_.c_str(), bar.c_str(),
               (long long)done, (long long)total_, unit_.c_str(), loss_text, rate, final ? "took" : "ETA",
               format_duration(final ? elapsed : eta).c_str(), (final || !tty_) ? "\n" : "\033[K");
  std::fflush(stderr);
}

}  // namespace ifq
