#!/usr/bin/env bash
# Trains the shipped face detectors from scratch on the CPU and scores them
# (docs/detection.md, "Shipped models"): the exact commands behind
# models/tinier-yolo-face.ifqf, models/ifq-tinier-yolo-face.{ifqf,ifqi} and
# the table in the README. About 1.5 hours on 2 cores.
#
#   1. data: scripts/fetch-face-data.sh, then scripts/make-face-sets.sh
#   2. float Tinier-YOLO                  3,000 steps of 32 (Adam 1e-3)
#   3. IFQ-Tinier-YOLO (binary, k = 2)    3,600 steps of 32, starting from 2
#   4. float Tiny-YOLO (the baseline)     2,000 steps of 32
#   5. integrated conversion of 3, then ifq face-benchmark (all + Haar)
#
# usage: scripts/train-face-detectors.sh [OUT]   (default: results/train)
# Training runs in the background-friendly form: each step checkpoints, and
# re-running the script resumes where a run stopped (Ctrl-C is safe).
set -euo pipefail
out=${1:-results/train}
ifq=${IFQ:-build/ifq}
mkdir -p "$out"
[[ -f data/faces/vec/trainingfaces_24-24.vec ]] || bash scripts/fetch-face-data.sh data/faces
[[ -f data/gen/train160/bbx_gt.txt && -f data/gen/test416/bbx_gt.txt ]] || bash scripts/make-face-sets.sh data/faces data/gen

# Training at 160x160 with YOLOv2's multi-scale (128..224), jitter, colour and
# flip; dlib's training.xml photos are cut into 160x160 windows at the 416x416
# inference scale. The model files keep the cfgs' 416x416 input.
common=(--wider-gt data/gen/train160/bbx_gt.txt --imglab data/faces/dlib/training.xml --imglab-repeat 40
        --train-size 160 --multi-scale 128 224 --jitter 0.2 --saturation 1.5 --exposure 1.5 --flip
        --batch 32 --optimizer adam --lr 0.001 --burn-in 200 --threads "${THREADS:-1}" --log-every 50 --seed 1)
train() {  # name cfg steps lr-steps [extra...]
  local name=$1 cfg=$2 steps=$3 lr_steps=$4
  shift 4
  [[ -f $out/$name.ifqf ]] && return 0
  local resume=()
  [[ -f $out/$name.ckpt ]] && resume=(--resume)
  "$ifq" train --cfg "$cfg" "${common[@]}" --steps "$steps" --lr-steps "$lr_steps" --lr-scales 0.1,0.1 \
    --checkpoint "$out/$name.ckpt" --checkpoint-every 50 "${resume[@]}" "$@" --out "$out/$name.ifqf" | tee -a "$out/$name.log"
}
train tinier-yolo-face models/tinier-yolo-face.cfg 3000 2200,2700
train ifq-tinier-yolo-face models/ifq-tinier-yolo-face.cfg 3600 2700,3300 --init "$out/tinier-yolo-face.ifqf"
train tiny-yolo-face models/tiny-yolo-face.cfg 2000 1500,1800
"$ifq" convert --in "$out/ifq-tinier-yolo-face.ifqf" --out "$out/ifq-tinier-yolo-face.ifqi"

"$ifq" face-benchmark --set generated=data/gen/test416/bbx_gt.txt --set dlib=data/faces/dlib/testing.xml \
  --detector "Tiny-YOLO (float)=$out/tiny-yolo-face.ifqf" \
  --detector "Tinier-YOLO (float)=$out/tinier-yolo-face.ifqf" \
  --detector "IFQ-Tinier-YOLO (float quantization network)=$out/ifq-tinier-yolo-face.ifqf" \
  --detector "IFQ-Tinier-YOLO (integer)=$out/ifq-tinier-yolo-face.ifqi" --haar \
  --level-check "$out/ifq-tinier-yolo-face.ifqf=$out/ifq-tinier-yolo-face.ifqi" --level-images 100 \
  --out-dir "$out/benchmark"
