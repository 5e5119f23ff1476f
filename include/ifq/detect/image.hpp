#pragma once
// 8-bit RGB images: reading (stb_image: JPEG, PNG, BMP, PGM/PPM only),
// writing PNG/JPEG atomically, resizing and drawing. No global state.
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/detect/box.hpp"

namespace ifq::detect {

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // row-major, 3 bytes per pixel
  uint8_t* at(int x, int y) { return &rgb[(size_t(y) * width + x) * 3]; }
  const uint8_t* at(int x, int y) const { return &rgb[(size_t(y) * width + x) * 3]; }
};

Image make_image(int width, int height, uint8_t r = 0, uint8_t g = 0, uint8_t b = 0);

// Throws ifq::Error "cannot read image PATH: reason" on failure.
Image load_image(const std::string& path);
// Reads only the header. Throws like load_image.
void read_image_size(const std::string& path, int& width, int& height);

// Format from the extension: .png, .jpg/.jpeg (quality 1..100). Atomic.
void save_image(const Image& image, const std::string& path, int jpeg_quality = 92);

// One bilinear tap at source position (fx, fy), each clamped to the image:
// what resize_bilinear and the trainer's photo sampler both compute per pixel.
void sample_bilinear(const Image& image, double fx, double fy, uint8_t out[3]);

// Bilinear resampling with pixel centres aligned (half-pixel convention).
Image resize_bilinear(const Image& image, int width, int height);

// The w x h window of `image` whose top-left pixel is (x0, y0); it must lie
// inside the image.
Image crop(const Image& image, int x0, int y0, int w, int h);

// Integer-factor area average (each output pixel the mean of a factor x
// factor block; edge blocks average what they cover). Used before bilinear
// resampling shrinks an image by 2x or more, which would otherwise skip
// pixels and alias (photos far larger than the network input).
Image shrink_by(const Image& image, int factor);

// Any resize without aliasing: an integer area average (shrink_by) first
// when shrinking by 2x or more, then bilinear to the exact size. What the
// detectors feed their networks and what packed training photos hold.
Image resize_area_bilinear(const Image& image, int width, int height);

// The image mirrored left to right (test-time flip: ifq detect --flip).
Image mirror_horizontal(const Image& image);

// Network input: CHW bytes with `channels` planes (3: RGB, 1: luma).
std::vector<uint8_t> to_chw(const Image& image, int channels);

// ITU-R BT.601 luma, replicated into the three channels.
Image to_grey(const Image& image);

// Box outline of the given thickness, clipped to the image.
void draw_box(Image& image, const Box& box, const uint8_t colour[3], int thickness);
void fill_rect(Image& image, int x0, int y0, int x1, int y1, const uint8_t colour[3]);
// Straight line (Bresenham) of the given thickness.
void draw_line(Image& image, int x0, int y0, int x1, int y1, const uint8_t colour[3],
               int thickness = 1);
// Text with stb_easy_font's built-in vector font, `scale` pixels per unit.
void draw_text(Image& image, int x, int y, const std::string& text, const uint8_t colour[3],
               int scale = 1);

}  // namespace ifq::detect
