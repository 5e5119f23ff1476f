#!/usr/bin/env bash
# The face-detector half of issue 13's quantizer study (docs/quantizers.md,
# "Face detector"): IFQ-Tinier-YOLO (k = 2 HWGQ activations) trained with
# each weight quantizer from the same start and recipe, converted integrated
# and scored on the held-out real photos: binary weights (straight-through,
# as shipped) and zero-centred 4-bit weights first, then QuantNet (binary)
# and piecewise-Gaussian 4-bit weights with piecewise-Gaussian HWGQ steps.
#
# Both start from the shipped float Tinier-YOLO (models/tinier-yolo-face.ifqf,
# --init) and run stage 5's recipe (scripts/train-real-face-detectors.sh:
# 2,400 steps, 384 px multi-scale 320-448, zoom 0.5-3, mostly aspect-true
# samples, Adam 2.5e-4) on stage 2's set mix, side by side, one LibTorch
# thread each (two 1-thread trainers beat one 2-thread trainer on 2 cores).
# The zero-centred and piecewise-Gaussian runs train their first third in
# float (weights; activations stay HWGQ) and then two quantize / fine-tune
# rounds (--retrain-rounds 2).
# The shipped stage-5 detector, which had four more stages of training, is
# scored in the same run as a reference only: the comparison is the two rows
# with the same start.
#
# Each run checkpoints every 50 steps; re-running the script resumes where a
# run stopped and skips finished ones.
#
# usage: scripts/study-face-quantizers.sh [OUT]   (default: results/study-face-quantizers)
#   STEPS (default 2400), IFQ (default build/ifq)
set -euo pipefail
out=${1:-results/study-face-quantizers}
ifq=${IFQ:-build/ifq}
steps=${STEPS:-2400}
mkdir -p "$out"
source scripts/face-training-sets.sh  # the data, and stage 2's set mix

train() {  # name [quantizer flags...]
  local name=$1
  shift
  [[ -f $out/$name.ifqf ]] && return 0
  local resume=() recipe
  [[ -f $out/$name.ckpt ]] && resume=(--resume)
  stage5_recipe "$steps"
  "$ifq" train --cfg models/ifq-tinier-yolo-face.cfg "${face_training_sets[@]}" --init models/tinier-yolo-face.ifqf \
    "$@" "${recipe[@]}" --seed 51 --checkpoint "$out/$name.ckpt" --checkpoint-every 50 "${resume[@]}" \
    --out "$out/$name.ifqf" --no-progress >> "$out/$name.train.log" 2>&1
  "$ifq" convert --in "$out/$name.ifqf" --out "$out/$name.ifqi" >> "$out/$name.train.log" 2>&1
}
pair() {  # name-a "flags-a" name-b "flags-b": two runs side by side
  local a_flags b_flags
  read -ra a_flags <<< "$2"
  read -ra b_flags <<< "$4"
  train "$1" "${a_flags[@]}" &
  local a_run=$!
  train "$3" "${b_flags[@]}" &
  local b_run=$!
  wait "$a_run" || { echo "$1 run failed: see $out/$1.train.log" >&2; exit 1; }
  wait "$b_run" || { echo "$3 run failed: see $out/$3.train.log" >&2; exit 1; }
}
pair binary "" zero-centred-w4 "--weight-quant zero-centred --weight-bits 4 --retrain-rounds 2"
pair quantnet "--weight-quant quantnet" piecewise-gaussian-w4 \
  "--weight-quant piecewise-gaussian --weight-bits 4 --retrain-rounds 2 --step-rule piecewise-gaussian"

detectors=() checks=()
for name in binary zero-centred-w4 quantnet piecewise-gaussian-w4; do
  detectors+=(--detector "$name (integer)=$out/$name.ifqi")
  checks+=(--level-check "$out/$name.ifqf=$out/$name.ifqi")
done
"$ifq" face-benchmark "${face_test_sets[@]}" \
  "${detectors[@]}" --detector "shipped IFQ-Tinier-YOLO, stage 5 (integer)=models/ifq-tinier-yolo-face.ifqi" \
  "${checks[@]}" --level-images 50 --detector-input-size auto --out-dir "$out/benchmark"
