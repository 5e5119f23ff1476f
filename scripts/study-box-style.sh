#!/usr/bin/env bash
# The box-style study of docs/detection.md ("Box styles and FDDB ellipses"):
# fits ifq fit-box-style for the shipped integer IFQ-Tinier-YOLO on the real
# training photos (all of them, and each label style alone: teacher labels,
# official WIDER boxes, hand-labelled masks), then scores the detector on the
# held-out sets with and without each style (ifq face-benchmark --box-style).
# Fitted on training photos only: the held-out sets never enter a fit.
#   usage: scripts/study-box-style.sh [OUT]   (default OUT: results/box-style)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/box-style}
ifq=${IFQ:-build/ifq}
model=${MODEL:-models/ifq-tinier-yolo-face.ifqi}
source scripts/face-training-sets.sh
mkdir -p "$out"
train=data/real/train
declare -A styles=(
  [all]="$train/facelib_samples_teacher.txt:6 $train/ultraface_samples_teacher.txt:6 $train/wider_val416.txt:6 $train/kaggle_facemask.txt:6 $train/ilc2021_facemask.txt:6 $train/eden_maskwearing.txt:6"
  [teacher]="$train/facelib_samples_teacher.txt:6 $train/ultraface_samples_teacher.txt:6"
  [wider]="$train/wider_val416.txt:6"
  [masks]="$train/kaggle_facemask.txt:6 $train/ilc2021_facemask.txt:6 $train/eden_maskwearing.txt:6")
label="IFQ-Tinier-YOLO (integer)"
rows=()
for name in all teacher wider masks; do
  sets=()
  for s in ${styles[$name]}; do sets+=(--set "$s"); done
  "$ifq" fit-box-style --model "$model" "${sets[@]}" --out "$out/ifq-$name-train.json"
  rows+=(--box-style "$label=$out/ifq-$name-train.json")
done
"$ifq" face-benchmark "${face_test_sets[@]}" --detector "$label=$model" --detector-input-size auto "${rows[@]}" \
  --draw 0 --out-dir "$out/benchmark"
