#!/usr/bin/env bash
# Generates the detector's training and held-out test sets from the fetched
# face data (scripts/fetch-face-data.sh) with `ifq facegen`. The test set
# shares neither face crops nor background photos with the training set:
#   crops        training: the first 14,000 of the .vec; test: the other 2,520
#   backgrounds  test: the six listed in TEST_BACKGROUNDS; training: the rest
#   train160/    6,000 images 160x160, 1-4 faces of 14-96 px (the trainer
#                cuts no windows from these: they are its input size)
#   test416/     300 images 416x416, 1-6 faces of 16-128 px (the size the
#                shipped models run at)
#
# usage: scripts/make-face-sets.sh [FACES] [OUT]   (defaults: data/faces data/gen)
set -euo pipefail
faces=${1:-data/faces}
out=${2:-data/gen}
ifq=${IFQ:-build/ifq}
[[ -f $faces/vec/trainingfaces_24-24.vec ]] || { echo "make-face-sets: no $faces/vec (run scripts/fetch-face-data.sh)" >&2; exit 1; }

TEST_BACKGROUNDS="darknet_horses.jpg dde_7.png dde_14.png skimage_coffee.png skimage_motorcycle_right.png skimage_gravel.png"
train_bg=() test_bg=()
for f in "$faces"/backgrounds/*; do
  if [[ " $TEST_BACKGROUNDS " == *" $(basename "$f") "* ]]; then test_bg+=("$f"); else train_bg+=("$f"); fi
done
[[ ${#test_bg[@]} -eq 6 ]] || { echo "make-face-sets: expected 6 test backgrounds, found ${#test_bg[@]}" >&2; exit 1; }

"$ifq" facegen --faces "$faces/vec/trainingfaces_24-24.vec" --max-samples 14000 --backgrounds "${train_bg[@]}" \
  --out-dir "$out/train160" --count 6000 --seed 1 --width 160 --height 160 --max-faces 4 --min-face 14 --max-face 96
"$ifq" facegen --faces "$faces/vec/trainingfaces_24-24.vec" --skip-samples 14000 --backgrounds "${test_bg[@]}" \
  --out-dir "$out/test416" --count 300 --seed 2 --width 416 --height 416 --max-faces 6 --min-face 16 --max-face 128
