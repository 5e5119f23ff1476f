#include <gtest/gtest.h>

#include "ifq/detect/eval_inputs.hpp"
#include "ifq/error.hpp"

using namespace ifq::detect;

namespace {

std::vector<TruthImage> truth() {
  std::vector<WiderImage> w = {{"0--Parade/0_Parade_1.jpg", {WiderFace{Box{1, 2, 3, 4}}}},
                               {"1--Handshaking/1_Hand_2.jpg", {}}};
  return truth_from_wider(w);
}

ImageDetections block(const std::string& name, double score) { return {name, {Detection{Box{0, 0, 5, 5}, score, 0}}}; }

}  // namespace

TEST(EvalInputs, KeysDropTheExtension) {
  const auto t = truth();
  EXPECT_EQ(t[0].key, "0--Parade/0_Parade_1");
  EXPECT_EQ(t[0].image_file, "0--Parade/0_Parade_1.jpg");
  ASSERT_EQ(t[0].faces.size(), 1u);
  const auto fddb = truth_from_fddb({FddbImage{"2002/08/11/big/img_591", {Ellipse{10, 5, 1, 50, 50}}}}, ".jpg");
  EXPECT_EQ(fddb[0].image_file, "2002/08/11/big/img_591.jpg");
  const auto imglab = truth_from_imglab({ImglabImage{"a.jpg", {{Box{0, 0, 9, 9}, false, ""}, {Box{20, 20, 9, 9}, true, ""}}}});
  EXPECT_EQ(imglab[0].faces.size(), 1u);  // the ignored box is left out
}

TEST(EvalInputs, MatchesExactlyBySuffixAndInEitherDirection) {
  const auto t = truth();
  // Exact, with "./" and with an extension; WIDER-style bare name; longer path.
  auto m = match_detections(t, {block("./0--Parade/0_Parade_1.jpg", 0.5), block("1_Hand_2", 0.7)});
  EXPECT_DOUBLE_EQ(m[0][0].score, 0.5);
  EXPECT_DOUBLE_EQ(m[1][0].score, 0.7);
  m = match_detections(t, {block("photos/val/0--Parade/0_Parade_1", 0.4)});
  EXPECT_DOUBLE_EQ(m[0][0].score, 0.4);
  EXPECT_TRUE(m[1].empty());
}

TEST(EvalInputs, UnknownAndRepeatedImagesAreErrors) {
  const auto t = truth();
  try {
    match_detections(t, {block("0_Parade_9", 0.5)});
    FAIL();
  } catch (const ifq::Error& e) {
    EXPECT_NE(std::string(e.what()).find("0_Parade_9"), std::string::npos);
  }
  EXPECT_THROW(match_detections(t, {block("1_Hand_2", 0.5), block("1--Handshaking/1_Hand_2", 0.5)}), ifq::Error);
  // Not a path-boundary suffix: "x0_Parade_1" must not match "0_Parade_1".
  EXPECT_THROW(match_detections(t, {block("0--Parade/x0_Parade_1", 0.5)}), ifq::Error);
}
