#!/usr/bin/env bash
# The four ROC PNGs of docs/results/face-benchmark/ from a run of
# scripts/benchmark-face-detectors.sh: per set, the discrete ROC of YuNet, both
# Haar cascades, the float Tinier-YOLO, the shipped IFQ-Tinier-YOLO (integer,
# at one level and with the 4 views 1,1.5 + mirror, scores averaged) and the
# shipped DupNet-Tinier-YOLO (integer), plus any extra curves named by the
# benchmark's folder name of that detector. x axis up to 2 x images, the
# FDDB budget (floor(0.1 x images)) marked.
#
# usage: scripts/plot-face-rocs.sh BENCH [OUT] [DETECTOR_FOLDER=LABEL ...]   (default OUT: docs/results/face-benchmark)
set -euo pipefail
bench=$1
out=${2:-docs/results/face-benchmark}
shift $(($# > 1 ? 2 : 1))
ifq=${IFQ:-build/ifq}
curves=(
  "YuNet-teacher-float-CNN=YuNet (float CNN teacher)"
  "Haar-alt2-OpenCV=Haar alt2 (OpenCV)"
  "Haar-default-OpenCV=Haar default (OpenCV)"
  "Tinier-YOLO-float=Tinier-YOLO (float)"
  "IFQ-Tinier-YOLO-integer=IFQ-Tinier-YOLO (integer)"
  "IFQ-Tinier-YOLO-integer-pyramid-1-1.5-flip-mean-at-auto-2400=IFQ-Tinier-YOLO, 4 views (mean)"
  "DupNet-Tinier-YOLO-integer=DupNet-Tinier-YOLO (integer)"
  "$@")
declare -A images=([people]=50 [masks]=238 [wider]=30 [generated]=300)
for set in people masks wider generated; do
  n=${images[$set]}
  args=()
  for c in "${curves[@]}"; do args+=(--curve "${c#*=}=$bench/$set/${c%%=*}-DiscROC.txt"); done
  "$ifq" roc-plot "${args[@]}" --fp-budget $((n / 10)) --fp-max $((2 * n)) \
    --title "Discrete ROC: $set ($n images)" --out "$out/$set-roc.png"
done
