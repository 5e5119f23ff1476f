#pragma once
// WIDER FACE average precision, a port of the official MATLAB tool
// (wider_eval.m: norm_score, image_evaluation, image_pr_info,
// dataset_pr_info, VOCap):
//  - scores min-max normalised over all predictions of all images;
//  - per image, predictions in descending score order; each is matched to
//    the ground truth box of highest IoU (+1 pixel convention), a match when
//    IoU >= iou_threshold; matching a face outside the evaluated subset
//    marks that face and the prediction ignored (not a false positive);
//  - precision/recall at thresholds 1 - t/1000 (t = 1..1000), accumulated
//    over images; images without ground truth or without predictions are
//    skipped (their faces still count in recall's denominator);
//  - AP with VOC's precision envelope.
#include <vector>

#include "ifq/detect/box.hpp"

namespace ifq::detect {

struct WiderEvalImage {
  std::vector<Box> truth;
  std::vector<int> keep;  // 0-based indices of the faces in the subset
  std::vector<Detection> detections;
};

struct WiderApResult {
  double ap = 0;
  long long faces = 0;  // faces in the subset
  std::vector<double> precision, recall;  // one per threshold
};

WiderApResult evaluate_wider(const std::vector<WiderEvalImage>& images, double iou_threshold = 0.5,
                             int thresholds = 1000);

// IoU with the +1 pixel convention of the MATLAB tool's boxoverlap.
double wider_overlap(const Box& a, const Box& b);

}  // namespace ifq::detect
