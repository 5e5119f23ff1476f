// WIDER FACE AP on hand-computed cases.
#include <gtest/gtest.h>

#include "ifq/detect/wider_eval.hpp"

using namespace ifq::detect;

TEST(WiderEval, OverlapUsesThePlusOnePixelRule) {
  // [0, 10] x [0, 10] is 11 x 11 = 121 pixels; shifted by 5: 6 x 11 = 66.
  EXPECT_DOUBLE_EQ(wider_overlap(Box{0, 0, 10, 10}, Box{0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(wider_overlap(Box{0, 0, 10, 10}, Box{5, 0, 10, 10}), 66.0 / (242 - 66));
}

TEST(WiderEval, PerfectDetectionsGiveApOne) {
  WiderEvalImage im{{Box{0, 0, 10, 10}, Box{50, 50, 20, 20}}, {0, 1}, {}};
  im.detections = {{Box{0, 0, 10, 10}, 0.9, 0}, {Box{50, 50, 20, 20}, 0.8, 0}};
  const auto r = evaluate_wider({im});
  EXPECT_EQ(r.faces, 2);
  EXPECT_DOUBLE_EQ(r.ap, 1.0);
}

TEST(WiderEval, HandComputedPrecisionEnvelope) {
  // Normalised scores 1, 0.5, 0: a hit, a miss, a hit.
  // thr > 0.5: P 1, R 0.5; 0 < thr <= 0.5: P 0.5, R 0.5; thr = 0: P 2/3, R 1.
  // AP = 0.5 * 1 + 0.5 * 2/3.
  WiderEvalImage im{{Box{0, 0, 10, 10}, Box{50, 50, 10, 10}}, {0, 1}, {}};
  im.detections = {{Box{0, 0, 10, 10}, 3.0, 0}, {Box{80, 0, 10, 10}, 2.0, 0}, {Box{50, 50, 10, 10}, 1.0, 0}};
  const auto r = evaluate_wider({im});
  EXPECT_NEAR(r.ap, 0.5 + 1.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.precision[0], 1.0);
  EXPECT_DOUBLE_EQ(r.recall[0], 0.5);
  EXPECT_DOUBLE_EQ(r.precision[600], 0.5);
  EXPECT_DOUBLE_EQ(r.precision[999], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.recall[999], 1.0);
}

TEST(WiderEval, PredictionOnAFaceOutsideTheSubsetIsNotAFalsePositive) {
  // Face 1 (index 1) is not in the subset; a top-scored prediction on it is ignored.
  WiderEvalImage ignored{{Box{0, 0, 10, 10}, Box{50, 50, 10, 10}}, {0}, {}};
  ignored.detections = {{Box{50, 50, 10, 10}, 1.0, 0}, {Box{0, 0, 10, 10}, 0.0, 0}};
  EXPECT_DOUBLE_EQ(evaluate_wider({ignored}).ap, 1.0);
  EXPECT_EQ(evaluate_wider({ignored}).faces, 1);
  // The same top prediction on background is a false positive: AP 0.5.
  WiderEvalImage missed = ignored;
  missed.detections[0].box = Box{80, 0, 10, 10};
  EXPECT_DOUBLE_EQ(evaluate_wider({missed}).ap, 0.5);
}

TEST(WiderEval, DuplicatesCountAsProposalsNotRecall) {
  WiderEvalImage im{{Box{0, 0, 10, 10}}, {0}, {}};
  im.detections = {{Box{0, 0, 10, 10}, 1.0, 0}, {Box{0, 0, 10, 10}, 0.0, 0}};
  const auto r = evaluate_wider({im});
  EXPECT_DOUBLE_EQ(r.precision[999], 0.5);
  EXPECT_DOUBLE_EQ(r.recall[999], 1.0);
  EXPECT_DOUBLE_EQ(r.ap, 1.0);
}

TEST(WiderEval, ImagesWithoutPredictionsStillCountTheirFaces) {
  WiderEvalImage hit{{Box{0, 0, 10, 10}}, {0}, {{Box{0, 0, 10, 10}, 0.5, 0}}};
  WiderEvalImage none{{Box{0, 0, 10, 10}}, {0}, {}};
  const auto r = evaluate_wider({hit, none});
  EXPECT_EQ(r.faces, 2);
  EXPECT_DOUBLE_EQ(r.ap, 0.5);
}
