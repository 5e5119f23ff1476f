// Corrupted annotation and detection files must give ifq::Error, never a
// crash or another exception: every fixture is truncated at every byte and
// has random bytes flipped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <cstdio>
#include <random>
#include <sstream>

#include "ifq/detect/datasets.hpp"
#include "ifq/detect/fddb_eval.hpp"
#include "ifq/error.hpp"

using namespace ifq::detect;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Loads the undamaged bytes (must succeed), then every truncation and 300
// random three-byte edits. Each damaged load must either succeed or throw
// ifq::Error; returns how many of the damaged variants were rejected, so
// each test can also insist that damage is noticed.
int damaged_rejections(const std::string& name, const std::string& original,
                       const std::function<void(const std::string&)>& load) {
  EXPECT_FALSE(original.empty()) << name;
  const std::string path =
      (std::filesystem::temp_directory_path() / ("ifq_fuzz_" + std::to_string(::getpid()) + "_" + name)).string();
  std::ofstream(path, std::ios::binary) << original;
  try {
    load(path);
  } catch (const std::exception& e) {
    ADD_FAILURE() << name << ": the undamaged file does not load: " << e.what();
  }
  std::mt19937_64 rng(17);
  int rejected = 0;
  auto attempt = [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    try {
      load(path);
    } catch (const ifq::Error&) {
      ++rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": unexpected exception " << e.what();
    }
  };
  for (size_t cut = 0; cut < original.size(); ++cut) attempt(original.substr(0, cut));
  const char alphabet[] = "0123456789 -.\n\r\t'<>/=abcxyz\xff";
  for (int k = 0; k < 300; ++k) {
    std::string bytes = original;
    for (int f = 0; f < 3; ++f) bytes[rng() % bytes.size()] = alphabet[rng() % (sizeof alphabet - 1)];
    attempt(bytes);
  }
  std::filesystem::remove(path);
  std::printf("%s: %d of %zu damaged variants rejected\n", name.c_str(), rejected, original.size() + 300);
  return rejected;
}

int fixture_rejections(const std::string& fixture, const std::function<void(const std::string&)>& load) {
  return damaged_rejections(fixture, read_all(std::string(IFQ_DETECT_FIXTURES) + "/" + fixture), load);
}

}  // namespace

// The lower bounds are about half of what the loaders rejected when these
// tests were written (printed by each run): a loader that stopped checking
// would fall far below them.
constexpr int MIN_WIDER_GT = 290, MIN_WIDER_SUBSET = 110, MIN_FDDB_ELLIPSES = 285, MIN_FDDB_FOLD = 25,
              MIN_DETECTIONS = 160, MIN_IMGLAB = 420, MIN_VEC = 100, MIN_ROC = 145;

TEST(LoaderRobustness, WiderGt) {
  EXPECT_GE(fixture_rejections("wider_face_val_bbx_gt.txt", [](auto& p) { load_wider_gt(p); }), MIN_WIDER_GT);
}
TEST(LoaderRobustness, WiderSubset) {
  EXPECT_GE(fixture_rejections("wider_easy_val.txt", [](auto& p) { load_wider_subset(p); }), MIN_WIDER_SUBSET);
}
TEST(LoaderRobustness, FddbEllipses) {
  EXPECT_GE(fixture_rejections("FDDB-fold-01-ellipseList.txt", [](auto& p) { load_fddb_ellipses(p); }),
            MIN_FDDB_ELLIPSES);
}
TEST(LoaderRobustness, FddbFold) {
  EXPECT_GE(fixture_rejections("FDDB-fold-01.txt", [](auto& p) { load_fddb_fold(p); }), MIN_FDDB_FOLD);
}
TEST(LoaderRobustness, Detections) {
  EXPECT_GE(fixture_rejections("fddb_detections.txt", [](auto& p) { load_detections(p); }), MIN_DETECTIONS);
}
TEST(LoaderRobustness, Imglab) {
  EXPECT_GE(fixture_rejections("imglab_training.xml", [](auto& p) { load_imglab_xml(p); }), MIN_IMGLAB);
}
TEST(LoaderRobustness, Vec) {
  EXPECT_GE(fixture_rejections("two_samples_2x2.vec", [](auto& p) { load_vec(p); }), MIN_VEC);
}
TEST(LoaderRobustness, Roc) {
  // A ROC file written by the library itself, then damaged.
  const std::string seed = (std::filesystem::temp_directory_path() /
                            ("ifq_roc_seed_" + std::to_string(::getpid()) + ".txt")).string();
  save_roc({{0.5, 3, 0.25}, {0.25, 0, 0.9}, {0.75, 7, 0.1}}, seed, true);
  const std::string original = read_all(seed);
  std::filesystem::remove(seed);
  EXPECT_GE(damaged_rejections("roc.txt", original, [](auto& p) { load_roc(p); }), MIN_ROC);
}
