// IDX reader (http://yann.lecun.com/exdb/mnist/ format): big-endian magic
// 0x0000 08 <ndim>, ndim big-endian uint32 sizes, then uint8 data.
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <memory>

#include "ifq/error.hpp"
#include "ifq/train/dataset.hpp"

namespace ifq::trainer {
namespace {

std::vector<uint8_t> read_maybe_gz(const std::string& path) {
  // gzopen reads plain files transparently too.
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error("cannot open '" + path + "'");
  std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(f, gzclose);
  std::vector<uint8_t> data;
  uint8_t buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) throw Error("'" + path + "': corrupt or truncated gzip data");
    if (n == 0) break;
    data.insert(data.end(), buf, buf + n);
    if (data.size() > (size_t(1) << 32)) throw Error("'" + path + "': larger than 4 GiB, refusing");
  }
  return data;
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

struct Idx {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
};

Idx parse_idx(const std::string& path) {
  std::vector<uint8_t> raw = read_maybe_gz(path);
  if (raw.size() < 4 || raw[0] != 0 || raw[1] != 0)
    throw Error("'" + path + "': not an IDX file (bad magic)");
  if (raw[2] != 0x08) throw Error("'" + path + "': IDX element type " + std::to_string(raw[2]) + " is not uint8 (0x08)");
  const int ndim = raw[3];
  if (ndim < 1 || ndim > 4) throw Error("'" + path + "': IDX with " + std::to_string(ndim) + " dimensions");
  if (raw.size() < size_t(4 + 4 * ndim)) throw Error("'" + path + "': truncated IDX header");
  Idx idx;
  uint64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    idx.dims.push_back(be32(&raw[size_t(4 + 4 * d)]));
    count *= idx.dims.back();
    if (count > (uint64_t(1) << 32)) throw Error("'" + path + "': IDX dimensions too large");
  }
  const size_t offset = size_t(4 + 4 * ndim);
  if (raw.size() - offset != count)
    throw Error("'" + path + "': IDX holds " + std::to_string(raw.size() - offset) + " data bytes, header says " +
                std::to_string(count));
  idx.data.assign(raw.begin() + long(offset), raw.end());
  return idx;
}

}  // namespace

std::vector<uint8_t> Dataset::image(int64_t i) const {
  const size_t n = size_t(shape.elements());
  return std::vector<uint8_t>(images.begin() + long(size_t(i) * n), images.begin() + long(size_t(i + 1) * n));
}

Dataset Dataset::head(int64_t n) const {
  if (n >= size()) return *this;
  Dataset d = *this;
  d.labels.resize(size_t(n));
  d.images.resize(size_t(n) * size_t(shape.elements()));
  return d;
}

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  Idx im = parse_idx(images_path), lb = parse_idx(labels_path);
  if (im.dims.size() != 3) throw Error("'" + images_path + "': expected a 3-D IDX (count, rows, cols)");
  if (lb.dims.size() != 1) throw Error("'" + labels_path + "': expected a 1-D IDX of labels");
  if (im.dims[0] != lb.dims[0])
    throw Error("'" + images_path + "' has " + std::to_string(im.dims[0]) + " images but '" + labels_path + "' has " +
                std::to_string(lb.dims[0]) + " labels");
  Dataset d;
  d.shape = {1, int(im.dims[1]), int(im.dims[2])};
  d.images = std::move(im.data);
  int max_label = 0;
  for (uint8_t l : lb.data) {
    d.labels.push_back(l);
    max_label = std::max(max_label, int(l));
  }
  d.classes = max_label + 1;
  return d;
}

Dataset load_fashion_mnist(const std::string& split, const std::string& dir) {
  if (split != "train" && split != "t10k") throw Error("Fashion-MNIST split must be 'train' or 't10k', got '" + split + "'");
  auto find = [&](const std::string& stem) {
    for (const char* ext : {".gz", ""}) {
      std::string p = dir + "/" + split + "-" + stem + ext;
      if (std::filesystem::exists(p)) return p;
    }
    throw Error("Fashion-MNIST file '" + dir + "/" + split + "-" + stem + ".gz' not found. Install the data set with "
                "`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or download the four IDX files from "
                "https://github.com/zalandoresearch/fashion-mnist into a folder and pass it with --data-dir");
  };
  Dataset d = load_idx(find("images-idx3-ubyte"), find("labels-idx1-ubyte"));
  d.classes = 10;
  d.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  for (int32_t l : d.labels)
    if (l >= 10) throw Error("'" + dir + "': Fashion-MNIST label " + std::to_string(l) + " outside 0..9");
  return d;
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void augment_image(uint8_t* chw, Shape3 shape, const Augment& aug, uint64_t& rng) {
  if (!aug.any()) return;
  const int pad = aug.crop_pad;
  const int dx = pad ? int(splitmix64(rng) % uint64_t(2 * pad + 1)) - pad : 0;
  const int dy = pad ? int(splitmix64(rng) % uint64_t(2 * pad + 1)) - pad : 0;
  const bool flip = aug.flip && (splitmix64(rng) & 1);
  std::vector<uint8_t> src(chw, chw + shape.elements());
  for (int c = 0; c < shape.c; ++c)
    for (int y = 0; y < shape.h; ++y)
      for (int x = 0; x < shape.w; ++x) {
        int sx = (flip ? shape.w - 1 - x : x) + dx, sy = y + dy;
        uint8_t v = 0;
        if (sx >= 0 && sx < shape.w && sy >= 0 && sy < shape.h)
          v = src[(size_t(c) * size_t(shape.h) + size_t(sy)) * size_t(shape.w) + size_t(sx)];
        chw[(size_t(c) * size_t(shape.h) + size_t(y)) * size_t(shape.w) + size_t(x)] = v;
      }
}

}  // namespace ifq::trainer
