// Drawing into RGB images: boxes, lines and stb_easy_font text.
#include <stb/stb_easy_font.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "ifq/detect/image.hpp"

namespace ifq::detect {

void fill_rect(Image& image, int x0, int y0, int x1, int y1, const uint8_t colour[3]) {
  x0 = std::max(x0, 0);
  y0 = std::max(y0, 0);
  x1 = std::min(x1, image.width);
  y1 = std::min(y1, image.height);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) std::copy(colour, colour + 3, image.at(x, y));
}

void draw_box(Image& image, const Box& box, const uint8_t colour[3], int thickness) {
  const double big = 1e7;
  const int x0 = int(std::lround(std::clamp(box.x, -big, big)));
  const int y0 = int(std::lround(std::clamp(box.y, -big, big)));
  const int x1 = int(std::lround(std::clamp(box.right(), -big, big)));
  const int y1 = int(std::lround(std::clamp(box.bottom(), -big, big)));
  const int t = std::max(1, thickness);
  fill_rect(image, x0, y0, x1 + 1, y0 + t, colour);
  fill_rect(image, x0, y1 - t + 1, x1 + 1, y1 + 1, colour);
  fill_rect(image, x0, y0, x0 + t, y1 + 1, colour);
  fill_rect(image, x1 - t + 1, y0, x1 + 1, y1 + 1, colour);
}

void draw_line(Image& image, int x0, int y0, int x1, int y1, const uint8_t colour[3], int thickness) {
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  const int lo = -(thickness - 1) / 2, hi = thickness / 2;
  while (true) {
    fill_rect(image, x0 + lo, y0 + lo, x0 + hi + 1, y0 + hi + 1, colour);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

void draw_text(Image& image, int x, int y, const std::string& text, const uint8_t colour[3], int scale) {
  // stb_easy_font emits axis-aligned quads: 4 vertices of 16 bytes
  // (x, y, z floats and an RGBA colour).
  std::vector<char> buffer(text.size() * 300 + 1024);
  std::string copy = text;
  const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buffer.data(), int(buffer.size()));
  for (int q = 0; q < quads; ++q) {
    const float* v0 = reinterpret_cast<const float*>(buffer.data() + size_t(q) * 64);
    const float* v2 = reinterpret_cast<const float*>(buffer.data() + size_t(q) * 64 + 32);
    fill_rect(image, x + int(v0[0] * scale), y + int(v0[1] * scale), x + int(v2[0] * scale),
              y + int(v2[1] * scale), colour);
  }
}

}  // namespace ifq::detect
