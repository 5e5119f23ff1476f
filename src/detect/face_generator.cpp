// Synthetic training images: grey face crops pasted onto face-free photos.
#include "ifq/detect/face_generator.hpp"

#include <algorithm>
#include <cmath>

#include "ifq/error.hpp"

namespace ifq::detect {
namespace {

using Rng = std::mt19937_64;

double uniform(Rng& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
int uniform_int(Rng& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// Grey plane as doubles, for the per-face photometric changes.
struct Plane {
  int w = 0, h = 0;
  std::vector<double> v;
  double& at(int x, int y) { return v[size_t(y) * w + x]; }
  double at(int x, int y) const { return v[size_t(y) * w + x]; }
};

Plane resize_plane(const GreyPatch& p, int side, bool flip) {
  Plane out{side, side, std::vector<double>(size_t(side) * side)};
  const double s = double(p.width) / side, t = double(p.height) / side;
  for (int y = 0; y < side; ++y) {
    const double fy = std::clamp((y + 0.5) * t - 0.5, 0.0, double(p.height - 1));
    const int y0 = int(fy), y1 = std::min(y0 + 1, p.height - 1);
    for (int x = 0; x < side; ++x) {
      const int xs = flip ? side - 1 - x : x;
      const double fx = std::clamp((xs + 0.5) * s - 0.5, 0.0, double(p.width - 1));
      const int x0 = int(fx), x1 = std::min(x0 + 1, p.width - 1);
      const double wx = fx - x0, wy = fy - y0;
      auto px = [&](int xx, int yy) { return double(p.pixels[size_t(yy) * p.width + xx]); };
      out.at(x, y) = (px(x0, y0) * (1 - wx) + px(x1, y0) * wx) * (1 - wy) + (px(x0, y1) * (1 - wx) + px(x1, y1) * wx) * wy;
    }
  }
  return out;
}

void gaussian_blur(Plane& p, double sigma) {
  const int r = std::max(1, int(std::ceil(3 * sigma)));
  std::vector<double> k(size_t(2 * r + 1));
  double sum = 0;
  for (int i = -r; i <= r; ++i) sum += (k[size_t(i + r)] = std::exp(-0.5 * i * i / (sigma * sigma)));
  for (double& x : k) x /= sum;
  Plane tmp = p;
  for (int y = 0; y < p.h; ++y)
    for (int x = 0; x < p.w; ++x) {
      double acc = 0;
      for (int i = -r; i <= r; ++i) acc += k[size_t(i + r)] * p.at(std::clamp(x + i, 0, p.w - 1), y);
      tmp.at(x, y) = acc;
    }
  for (int y = 0; y < p.h; ++y)
    for (int x = 0; x < p.w; ++x) {
      double acc = 0;
      for (int i = -r; i <= r; ++i) acc += k[size_t(i + r)] * tmp.at(x, std::clamp(y + i, 0, p.h - 1));
      p.at(x, y) = acc;
    }
}

// A random crop of the background with the output's aspect ratio, zoomed
// by up to zoom_max, randomly mirrored, resized to the output size.
Image background_view(const Image& bg, const FaceGeneratorOptions& o, Rng& rng) {
  const double aspect = double(o.width) / o.height;
  double cw = bg.width, ch = cw / aspect;
  if (ch > bg.height) {
    ch = bg.height;
    cw = ch * aspect;
  }
  const double zoom = uniform(rng, 1.0, o.background_zoom_max);
  cw /= zoom;
  ch /= zoom;
  const int iw = std::max(1, int(cw)), ih = std::max(1, int(ch));
  const int x0 = uniform_int(rng, 0, bg.width - iw), y0 = uniform_int(rng, 0, bg.height - ih);
  const bool flip = uniform_int(rng, 0, 1) == 1;
  Image crop = make_image(iw, ih);
  for (int y = 0; y < ih; ++y)
    for (int x = 0; x < iw; ++x) {
      const uint8_t* s = bg.at(x0 + (flip ? iw - 1 - x : x), y0 + y);
      std::copy(s, s + 3, crop.at(x, y));
    }
  return resize_bilinear(crop, o.width, o.height);
}

}  // namespace

void validate(const FaceGeneratorOptions& o) {
  auto bad = [](const std::string& what) { throw Error("face generator: " + what); };
  if (o.width < 16 || o.height < 16 || o.width > 8192 || o.height > 8192) bad("image size must be 16..8192");
  if (o.min_faces < 0 || o.max_faces < o.min_faces) bad("need 0 <= min_faces <= max_faces");
  // Placement tries every new face against every placed one: 10^8 faces per
  // image once hung `ifq facegen`.
  if (o.max_faces > kMaxFacesPerImage) bad("max_faces above " + std::to_string(kMaxFacesPerImage) + " per image");
  if (o.min_face < 4 || o.max_face < o.min_face) bad("need 4 <= min_face <= max_face");
  if (o.min_face > std::min(o.width, o.height)) bad("min_face larger than the image");
  if (o.max_overlap < 0 || o.max_overlap >= 1) bad("max_overlap must be in [0, 1)");
  if (o.contrast_min <= 0 || o.contrast_max < o.contrast_min) bad("need 0 < contrast_min <= contrast_max");
  if (o.brightness_range < 0) bad("brightness_range must be >= 0");
  if (o.blur_probability < 0 || o.blur_probability > 1) bad("blur_probability must be in [0, 1]");
  if (o.blur_sigma_max < 0) bad("blur_sigma_max must be >= 0");
  if (o.background_zoom_max < 1) bad("background_zoom_max must be >= 1");
  if (o.feather < 0) bad("feather must be >= 0");
}

GeneratedImage generate_face_image(const Image& background, const std::vector<GreyPatch>& faces,
                                   const FaceGeneratorOptions& o, std::mt19937_64& rng) {
  validate(o);
  if (faces.empty()) throw Error("face generator: no face samples");
  if (background.width < 1 || background.height < 1) throw Error("face generator: empty background");
  GeneratedImage out;
  out.image = background_view(background, o, rng);

  const int wanted = uniform_int(rng, o.min_faces, o.max_faces);
  const int largest = std::min({o.max_face, o.width, o.height});
  for (int f = 0; f < wanted; ++f) {
    // Sizes uniform in log scale: as many small faces as large ones per octave.
    bool placed = false;
    Box box;
    for (int attempt = 0; attempt < 50 && !placed; ++attempt) {
      const int side = int(std::lround(std::exp(uniform(rng, std::log(double(o.min_face)), std::log(double(largest))))));
      const int x = uniform_int(rng, 0, o.width - side), y = uniform_int(rng, 0, o.height - side);
      box = Box{double(x), double(y), double(side), double(side)};
      placed = true;
      for (const Box& other : out.faces) {
        const double overlap = iou(box, other);
        const bool touches = box.x < other.right() && other.x < box.right() && box.y < other.bottom() && other.y < box.bottom();
        if (overlap > o.max_overlap || (o.max_overlap == 0 && touches)) {
          placed = false;
          break;
        }
      }
    }
    if (!placed) continue;
    const int side = int(box.w), bx = int(box.x), by = int(box.y);
    const GreyPatch& sample = faces[size_t(uniform_int(rng, 0, int(faces.size()) - 1))];
    if (sample.width < 1 || sample.height < 1 || sample.pixels.size() != size_t(sample.width) * sample.height)
      throw Error("face generator: malformed face sample");
    Plane face = resize_plane(sample, side, uniform_int(rng, 0, 1) == 1);

    double mean = 0;
    for (double v : face.v) mean += v;
    mean /= double(face.v.size());
    const double contrast = uniform(rng, o.contrast_min, o.contrast_max);
    const double brightness = uniform(rng, -o.brightness_range, o.brightness_range);
    for (double& v : face.v) v = (v - mean) * contrast + mean + brightness;
    if (o.blur_sigma_max > 0 && uniform(rng, 0, 1) < o.blur_probability)
      gaussian_blur(face, uniform(rng, 0.3, std::max(0.3, o.blur_sigma_max)));

    // Skin tone: red strongest, blue weakest, varied per face.
    double tone[3] = {1, 1, 1};
    if (o.tint_faces && !o.grey_output) {
      const double g = uniform(rng, 0.72, 0.92);
      tone[1] = g;
      tone[2] = g * uniform(rng, 0.75, 0.95);
      const double gain = uniform(rng, 0.95, 1.15);
      for (double& t : tone) t *= gain;
    }
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        const int edge = std::min({x, y, side - 1 - x, side - 1 - y});
        const double alpha = o.feather == 0 ? 1.0 : std::min(1.0, (edge + 0.5) / (o.feather + 0.5));
        uint8_t* px = out.image.at(bx + x, by + y);
        for (int c = 0; c < 3; ++c) {
          const double v = std::clamp(face.at(x, y) * tone[c], 0.0, 255.0);
          px[c] = uint8_t(std::lround(alpha * v + (1 - alpha) * px[c]));
        }
      }
    out.faces.push_back(box);
  }
  if (o.grey_output) out.image = to_grey(out.image);
  return out;
}

}  // namespace ifq::detect
