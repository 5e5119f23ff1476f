#!/usr/bin/env bash
# Precise BN on the shipped face detectors (docs/detection.md, "Precise BN"):
# re-estimates every BN layer's statistics of models/ifq-tinier-yolo-face and
# models/dupnet-tinier-yolo-face as the mean over 200 batches of 16, the
# weights unchanged (ifq train --init M --steps 0 --precise-bn 200), once on
# the training samples of their last stage (mosaics, zoom 0.5-3) and once
# on whole photos seen as at inference (no mosaic, aspect kept, zoom
# 0.8-1.25); converts each and scores them next to the shipped integer
# models with ifq face-benchmark on the held-out sets. About 11 minutes on
# 2 shared cores (the recalibrations run side by side, one thread each).
#
# usage: scripts/study-precise-bn.sh [OUT]   (default: results/precise-bn)
set -euo pipefail
out=${1:-results/precise-bn}
ifq=${IFQ:-build/ifq}
mkdir -p "$out"
source scripts/face-training-sets.sh  # the data, and the shipped stages' set mix

common=(--hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 14 --batch 16 --threads 1 --log-every 50
        --seed 31 --no-progress)
training_views=(--train-size 384 --multi-scale 320 448 --zoom 0.5 3.0 --mosaic 0.5 --aspect 1.25 --keep-aspect 0.85)
inference_views=(--train-size 416 --multi-scale 384 448 --zoom 0.8 1.25 --mosaic 0 --aspect 1 --keep-aspect 1)
recalibrate() {  # name model views...
  local name=$1 model=$2
  shift 2
  [[ -f $out/$name.ifqi ]] && return 0
  "$ifq" train --cfg "models/$model.cfg" "${face_training_sets[@]}" --init "models/$model.ifqf" --steps 0 \
    --precise-bn 200 "$@" "${common[@]}" --out "$out/$name.ifqf" > "$out/$name.log" 2>&1
  "$ifq" convert --in "$out/$name.ifqf" --out "$out/$name.ifqi" >> "$out/$name.log" 2>&1
}
pair() {  # views-name views...: both detectors side by side
  local views=$1
  shift
  recalibrate "ifq-$views" ifq-tinier-yolo-face "$@" &
  local a=$!
  recalibrate "dupnet-$views" dupnet-tinier-yolo-face "$@" &
  local b=$!
  wait "$a" || { echo "precise BN failed: see $out/ifq-$views.log" >&2; exit 1; }
  wait "$b" || { echo "precise BN failed: see $out/dupnet-$views.log" >&2; exit 1; }
}
pair training "${training_views[@]}"
pair inference "${inference_views[@]}"
"$ifq" face-benchmark "${face_test_sets[@]}" \
  --detector "IFQ-Tinier-YOLO (integer, shipped)=models/ifq-tinier-yolo-face.ifqi" \
  --detector "IFQ-Tinier-YOLO, precise BN on training views=$out/ifq-training.ifqi" \
  --detector "IFQ-Tinier-YOLO, precise BN on inference views=$out/ifq-inference.ifqi" \
  --detector "DupNet-Tinier-YOLO (integer, shipped)=models/dupnet-tinier-yolo-face.ifqi" \
  --detector "DupNet-Tinier-YOLO, precise BN on training views=$out/dupnet-training.ifqi" \
  --detector "DupNet-Tinier-YOLO, precise BN on inference views=$out/dupnet-inference.ifqi" \
  --level-check "$out/ifq-training.ifqf=$out/ifq-training.ifqi" \
  --level-check "$out/dupnet-inference.ifqf=$out/dupnet-inference.ifqi" --level-images 20 \
  --detector-input-size auto --draw 0 --out-dir "$out/benchmark"
