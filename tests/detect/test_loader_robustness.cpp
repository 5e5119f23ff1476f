// Corrupted annotation and detection files must give ifq::Error, never a
// crash or another exception: every fixture is truncated at every byte and
// has random bytes flipped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
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

void check_never_crashes(const std::string& fixture, const std::function<void(const std::string&)>& load) {
  const std::string original = read_all(std::string(IFQ_DETECT_FIXTURES) + "/" + fixture);
  ASSERT_FALSE(original.empty()) << fixture;
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("ifq_fuzz_" + std::to_string(::getpid()) + "_" + fixture)).string();
  std::mt19937_64 rng(17);
  auto attempt = [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    try {
      load(path);
    } catch (const ifq::Error&) {
      // A clear error is the expected outcome for most variants.
    } catch (const std::exception& e) {
      ADD_FAILURE() << fixture << ": unexpected exception " << e.what();
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
}

}  // namespace

TEST(LoaderRobustness, WiderGt) { check_never_crashes("wider_face_val_bbx_gt.txt", [](auto& p) { load_wider_gt(p); }); }
TEST(LoaderRobustness, WiderSubset) { check_never_crashes("wider_easy_val.txt", [](auto& p) { load_wider_subset(p); }); }
TEST(LoaderRobustness, FddbEllipses) {
  check_never_crashes("FDDB-fold-01-ellipseList.txt", [](auto& p) { load_fddb_ellipses(p); });
}
TEST(LoaderRobustness, FddbFold) { check_never_crashes("FDDB-fold-01.txt", [](auto& p) { load_fddb_fold(p); }); }
TEST(LoaderRobustness, Detections) { check_never_crashes("fddb_detections.txt", [](auto& p) { load_detections(p); }); }
TEST(LoaderRobustness, Imglab) { check_never_crashes("imglab_training.xml", [](auto& p) { load_imglab_xml(p); }); }
TEST(LoaderRobustness, Vec) { check_never_crashes("two_samples_2x2.vec", [](auto& p) { load_vec(p); }); }
TEST(LoaderRobustness, Roc) {
  // A small ROC file written by the library itself, then corrupted.
  std::ofstream(std::filesystem::temp_directory_path() / "ifq_fuzz_roc_seed.txt") << "0.5 3 0.25\n0.25 0 0.9\n";
  const std::string seed = (std::filesystem::temp_directory_path() / "ifq_fuzz_roc_seed.txt").string();
  EXPECT_EQ(load_roc(seed).size(), 2u);
  std::filesystem::remove(seed);
  check_never_crashes("fddb_detections.txt", [](auto& p) { load_roc(p); });
}
