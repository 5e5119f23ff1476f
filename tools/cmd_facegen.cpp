// ifq facegen --faces trainingfaces_24-24.vec --backgrounds DIR|IMAGE... --out-dir DIR --count N:
// synthetic face-detection images (real face crops on real face-free
// photos) with exact boxes, annotations in WIDER bbx_gt format.
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "command_registry.hpp"
#include "ifq/detect/datasets.hpp"
#include "ifq/detect/face_generator.hpp"
#include "ifq/error.hpp"

namespace {

namespace fs = std::filesystem;

struct FacegenFlags {
  std::string faces, out_dir, annotations = "bbx_gt.txt", format = "jpg";
  std::vector<std::string> backgrounds;
  int count = 100;
  uint64_t seed = 1;
  int64_t max_samples = 0;
  int64_t skip_samples = 0;  // hold crops out: a test set skips the crops a training set used
  ifq::detect::FaceGeneratorOptions gen;
};

// Every image file under the given folders, plus the given files, sorted.
std::vector<std::string> background_files(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      for (auto it = fs::recursive_directory_iterator(in, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        std::string ext = it->path().extension().string();
        for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
        if (it->is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" ||
                                      ext == ".ppm" || ext == ".pgm"))
          files.push_back(it->path().string());
      }
      if (ec) throw ifq::Error("cannot list " + in + ": " + ec.message());
    } else {
      files.push_back(in);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

IFQ_REGISTER_COMMAND(
    "facegen", "generate face-detection training images: real face crops pasted on face-free backgrounds",
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<FacegenFlags>();
      auto& g = f->gen;
      sub.add_option("--faces", f->faces, "face crops in OpenCV .vec format")->required();
      sub.add_option("--max-samples", f->max_samples, "use at most this many crops (0: all)")->capture_default_str();
      sub.add_option("--skip-samples", f->skip_samples,
                     "leave out the first N crops (a held-out test set: train with --max-samples N, test with "
                     "--skip-samples N)")
          ->check(CLI::Range(int64_t(0), int64_t(1) << 40))
          ->capture_default_str();
      sub.add_option("--backgrounds", f->backgrounds, "face-free background images or folders")->required();
      sub.add_option("--out-dir", f->out_dir, "output folder (images + annotations)")->required();
      sub.add_option("--annotations", f->annotations, "annotation file name inside --out-dir (WIDER bbx_gt format)")
          ->capture_default_str();
      sub.add_option("--count", f->count, "images to generate")->capture_default_str()->check(CLI::Range(1, 10000000));
      sub.add_option("--seed", f->seed, "random seed (same seed, same images)")->capture_default_str();
      sub.add_option("--format", f->format, "jpg or png")->capture_default_str()->check(CLI::IsMember({"jpg", "png"}));
      sub.add_option("--width", g.width, "image width")->capture_default_str();
      sub.add_option("--height", g.height, "image height")->capture_default_str();
      sub.add_option("--min-faces", g.min_faces)->capture_default_str();
      sub.add_option("--max-faces", g.max_faces)->capture_default_str();
      sub.add_option("--min-face", g.min_face, "smallest face side in pixels")->capture_default_str();
      sub.add_option("--max-face", g.max_face, "largest face side in pixels")->capture_default_str();
      sub.add_option("--max-overlap", g.max_overlap, "largest IoU between faces (0: disjoint)")->capture_default_str();
      sub.add_option("--contrast-min", g.contrast_min)->capture_default_str();
      sub.add_option("--contrast-max", g.contrast_max)->capture_default_str();
      sub.add_option("--brightness", g.brightness_range, "+- grey levels")->capture_default_str();
      sub.add_option("--blur-probability", g.blur_probability)->capture_default_str();
      sub.add_option("--blur-sigma-max", g.blur_sigma_max)->capture_default_str();
      sub.add_option("--feather", g.feather, "soft edge width in pixels")->capture_default_str();
      sub.add_option("--background-zoom-max", g.background_zoom_max)->capture_default_str();
      sub.add_flag("--grey", g.grey_output, "convert whole images to grey (the crops are grey)");
      sub.add_flag("!--no-tint", g.tint_faces, "paste crops grey instead of with a random skin tone");
      return [=]() {
        ifq::detect::validate(f->gen);
        auto faces = ifq::detect::load_vec(f->faces, 0, 0,
                                           f->max_samples > 0 ? f->skip_samples + f->max_samples : 0);
        if (int64_t(faces.size()) <= f->skip_samples)
          throw ifq::Error(f->faces + " holds " + std::to_string(faces.size()) + " samples, --skip-samples " +
                           std::to_string(f->skip_samples) + " leaves none");
        faces.erase(faces.begin(), faces.begin() + f->skip_samples);
        const auto files = background_files(f->backgrounds);
        std::vector<ifq::detect::Image> backgrounds;
        int skipped = 0;
        for (const std::string& file : files) {
          try {
            backgrounds.push_back(ifq::detect::load_image(file));
          } catch (const ifq::Error& e) {
            ++skipped;
            std::cerr << "skipped background: " << e.what() << "\n";
          }
        }
        if (backgrounds.empty()) throw ifq::Error("no readable background image");
        std::error_code ec;
        fs::create_directories(f->out_dir, ec);
        if (!fs::is_directory(f->out_dir)) throw ifq::Error("cannot create output directory " + f->out_dir);

        std::mt19937_64 rng(f->seed);
        std::vector<ifq::detect::WiderImage> annotations;
        long long boxes = 0;
        for (int i = 0; i < f->count; ++i) {
          const auto& bg = backgrounds[size_t(std::uniform_int_distribution<int>(0, int(backgrounds.size()) - 1)(rng))];
          const auto gen = ifq::detect::generate_face_image(bg, faces, f->gen, rng);
          char name[32];
          std::snprintf(name, sizeof name, "gen_%06d.%s", i, f->format.c_str());
          ifq::detect::save_image(gen.image, (fs::path(f->out_dir) / name).string());
          ifq::detect::WiderImage a{name, {}};
          for (const auto& b : gen.faces) a.faces.push_back(ifq::detect::WiderFace{b});
          boxes += (long long)gen.faces.size();
          annotations.push_back(std::move(a));
        }
        const std::string ann = (fs::path(f->out_dir) / f->annotations).string();
        ifq::detect::save_wider_gt(annotations, ann);
        std::cout << f->count << " images, " << boxes << " faces (" << faces.size() << " crops, "
                  << backgrounds.size() << " backgrounds" << (skipped ? ", " + std::to_string(skipped) + " unreadable" : "")
                  << ") -> " << f->out_dir << ", annotations " << ann << "\n";
        return 0;
      };
    });

}  // namespace
