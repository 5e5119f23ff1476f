#!/usr/bin/env bash
# Trains the EARLIER face detectors (generated faces + dlib's photos) on the
# CPU and scores them: the exact commands behind the models of commit 4aca77b,
# whose backbones the shipped detectors start from
# (scripts/train-real-face-detectors.sh). Run it at that commit to get the
# same networks: the cfg presets have since changed to the paper's 3x3
# detection conv and face anchors. About 2 hours on 2 cores.
#
#   1. data: scripts/fetch-face-data.sh, then scripts/make-face-sets.sh
#   2. stage 1, mostly generated faces (dlib's 4 training photos as 160 windows):
#      float Tinier-YOLO 3,000 steps of 32 (Adam 1e-3); IFQ-Tinier-YOLO (binary,
#      k = 2) 3,600 steps starting from it; float Tiny-YOLO 2,000 steps
#   3. stage 2, each from its stage-1 weights: 1,000 steps (lr 3e-4) with the
#      dlib photos as 1,600 windows (a fifth of the images; real backgrounds,
#      bodies and faces)
#   4. integrated conversion of the IFQ network, then ifq face-benchmark
#      (all + Haar)
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
common=(--wider-gt data/gen/train160/bbx_gt.txt --imglab data/faces/dlib/training.xml
        --train-size 160 --multi-scale 128 224 --jitter 0.2 --saturation 1.5 --exposure 1.5 --flip
        --batch 32 --optimizer adam --threads "${THREADS:-1}" --log-every 50)
train() {  # name cfg [flags...] (a flag may be given once: the stage flags are not in common)
  local name=$1 cfg=$2
  shift 2
  [[ -f $out/$name.ifqf ]] && return 0
  local resume=()
  [[ -f $out/$name.ckpt ]] && resume=(--resume)
  "$ifq" train --cfg "$cfg" "${common[@]}" "$@" --checkpoint "$out/$name.ckpt" --checkpoint-every 50 \
    "${resume[@]}" --out "$out/$name.ifqf" | tee -a "$out/$name.log"
}
stage1=(--imglab-repeat 40 --seed 1 --lr 0.001 --burn-in 200 --lr-scales 0.1,0.1)
train tinier-stage1 models/tinier-yolo-face.cfg "${stage1[@]}" --steps 3000 --lr-steps 2200,2700
train ifq-tinier-stage1 models/ifq-tinier-yolo-face.cfg "${stage1[@]}" --steps 3600 --lr-steps 2700,3300 \
  --init "$out/tinier-stage1.ifqf"
train tiny-stage1 models/tiny-yolo-face.cfg "${stage1[@]}" --steps 2000 --lr-steps 1500,1800
stage2=(--imglab-repeat 400 --seed 2 --lr 0.0003 --burn-in 50 --steps 1000 --lr-steps 700 --lr-scales 0.1)
train tinier-yolo-face models/tinier-yolo-face.cfg "${stage2[@]}" --init "$out/tinier-stage1.ifqf"
train ifq-tinier-yolo-face models/ifq-tinier-yolo-face.cfg "${stage2[@]}" --init "$out/ifq-tinier-stage1.ifqf"
train tiny-yolo-face models/tiny-yolo-face.cfg "${stage2[@]}" --init "$out/tiny-stage1.ifqf"
"$ifq" convert --in "$out/ifq-tinier-yolo-face.ifqf" --out "$out/ifq-tinier-yolo-face.ifqi"

"$ifq" face-benchmark --set generated=data/gen/test416/bbx_gt.txt --set dlib=data/faces/dlib/testing.xml \
  --detector "Tiny-YOLO (float)=$out/tiny-yolo-face.ifqf" \
  --detector "Tinier-YOLO (float)=$out/tinier-yolo-face.ifqf" \
  --detector "IFQ-Tinier-YOLO (float quantization network)=$out/ifq-tinier-yolo-face.ifqf" \
  --detector "IFQ-Tinier-YOLO (integer)=$out/ifq-tinier-yolo-face.ifqi" --haar \
  --level-check "$out/ifq-tinier-yolo-face.ifqf=$out/ifq-tinier-yolo-face.ifqi" --level-images 100 \
  --out-dir "$out/benchmark"
