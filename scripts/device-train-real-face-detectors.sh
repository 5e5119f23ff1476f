#!/usr/bin/env bash
# Trains the real-photo face detectors on the lent GPU machine (the `device`
# tool's `run`: one H200, 15 minutes of device time per session, nothing
# outside it reachable), in ONE call that builds, trains with checkpoints and
# returns models and logs under $OUT. Rehearse it here on the CPU first.
#
#   1. here:   bash scripts/device-train-real-face-detectors.sh pack
#      packs what the run needs into device-data/ (git-ignored; carry it):
#      the stb headers (the GPU image has no libstb) and the training photo
#      sets downscaled to 416 px JPEGs (`ifq face-pack`; the masks and
#      generated sets thinned) so the tree that travels stays under 64 MiB.
#   2. device: run(command="bash scripts/device-train-real-face-detectors.sh train",
#                  carry=["device-data"], timeout_s=580)
#      configures against the machine's pip LibTorch
#      (torch.utils.cmake_prefix_path), builds `ifq`, trains float
#      Tinier-YOLO and IFQ-Tinier-YOLO side by side on the GPU from the
#      shipped models (--init): 100 steps to measure the rate, then as many
#      steps as TRAIN_SECONDS holds (exact --resume; lr x0.1 at 80 % and
#      90 %); $OUT gets the two .ifqf models, their logs and the build log.
#   3. here: copy them into results/, convert, benchmark
#      (scripts/benchmark-face-detectors.sh), ship the better ones.
#   rehearsal here (IFQ: a program already built, so no build):
#     OUT=/tmp/device-out IFQ=build/ifq TRAIN_SECONDS=120 BATCH=2 TRAIN_SIZE=96 \
#       bash scripts/device-train-real-face-detectors.sh train
#
# Set: TRAIN_SECONDS (default 330: training time of both runs together,
# after the build), STEPS (an upper bound), BATCH (64), TRAIN_SIZE (320),
# BUILD (build-device), THREADS (LibTorch threads per run, 4). Checkpoints (24 MB) are too large to come back from
# the device (16 MiB a file): the exported models do.
set -euo pipefail
mode=${1:?usage: $0 pack|train}
sets=(facelib_samples_teacher:100:3 ultraface_samples_teacher:100:1.5 wider_val416:100:2.5
      kaggle_facemask:45:1.5 ilc2021_facemask:30:1.5 eden_maskwearing:100:0.3)

if [[ $mode == pack ]]; then
  ifq=${IFQ:-build/ifq}
  [[ -f data/real/train/facelib_samples_teacher.txt ]] || bash scripts/make-real-face-sets.sh ../shared/data/faces/real data/real
  [[ -f data/gen/train160/bbx_gt.txt ]] || { bash scripts/fetch-face-data.sh data/faces && bash scripts/make-face-sets.sh data/faces data/gen; }
  rm -rf device-data
  mkdir -p device-data/stb/stb
  cp /usr/include/stb/stb_image.h /usr/include/stb/stb_image_write.h /usr/include/stb/stb_easy_font.h device-data/stb/stb/
  for spec in "${sets[@]}"; do
    IFS=: read -r name keep _ <<< "$spec"
    "$ifq" face-pack --gt "data/real/train/$name.txt" --out-dir "device-data/sets/$name" --max-side 416 \
      --quality 80 --keep-percent "$keep" --no-progress
  done
  "$ifq" face-pack --gt data/gen/train160/bbx_gt.txt --out-dir device-data/sets/generated --max-side 160 \
    --quality 80 --keep-percent 8 --no-progress
  du -sh device-data
  exit 0
fi

[[ $mode == train ]] || { echo "usage: $0 pack|train" >&2; exit 2; }
out=${OUT:?set OUT (the device tool sets it)}
build=${BUILD:-build-device}
[[ -d device-data/sets ]] || { echo "device-data/ is missing: run '$0 pack' here and carry device-data" >&2; exit 1; }
mkdir -p "$out"
if [[ -n ${IFQ:-} ]]; then
  ifq=$IFQ  # rehearsal with a program already built
else
  ifq=$build/ifq
  {
    date
    nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
    prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
    echo "torch cmake prefix: ${prefix:-none (the system LibTorch)}"
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DIFQ_BUILD_TESTS=OFF -DIFQ_BUILD_BENCH=OFF \
      -DIFQ_STB_INCLUDE="$PWD/device-data/stb" ${prefix:+-DCMAKE_PREFIX_PATH="$prefix"}
    cmake --build "$build" --target ifq -j "$(nproc)"
    date
  } > "$out/build.log" 2>&1 || { tail -n 40 "$out/build.log"; exit 1; }
fi

s=device-data/sets
set_flags=()
for spec in "${sets[@]}"; do
  IFS=: read -r name _ weight <<< "$spec"
  set_flags+=(--set "$s/$name/bbx_gt.txt:$weight:6")
done
set_flags+=(--set "$s/generated/bbx_gt.txt:0.5")
size=${TRAIN_SIZE:-320}
batch=${BATCH:-64}
ckpt=${CKPT_DIR:-/tmp/ifq-device-checkpoints}  # 24 MB each: too large to come back
mkdir -p "$ckpt"
budget=${TRAIN_SECONDS:-330}
train() {  # name cfg init steps lr-steps max-seconds [--resume]
  local name=$1 cfg=$2 init=$3 steps=$4 lr_steps=$5 seconds=$6
  shift 6
  "$ifq" train --cfg "$cfg" "${set_flags[@]}" --init "$init" \
    --train-size "$size" --multi-scale "$((size * 7 / 10 / 32 * 32))" "$((size * 13 / 10 / 32 * 32))" \
    --zoom 0.6 1.5 --mosaic 0.3 --aspect 1.25 --keep-aspect 0.25 --hue 0.02 --saturation 1.5 --exposure 1.5 \
    --flip --min-face 10 --batch "$batch" --optimizer adam --lr 0.0005 --burn-in 200 --steps "$steps" \
    --lr-steps "$lr_steps" --lr-scales 0.1,0.1 --threads "${THREADS:-4}" --log-every 100 --seed 23 --max-seconds "$seconds" \
    --checkpoint "$ckpt/$name.ckpt" --checkpoint-every 100 --out "$out/$name.ifqf" --no-progress "$@" \
    >> "$out/$name.train.log" 2>&1
}
both() {  # steps lr-steps max-seconds [--resume]
  train tinier-yolo-face models/tinier-yolo-face.cfg models/tinier-yolo-face.ifqf "$@" & local a=$!
  train ifq-tinier-yolo-face models/ifq-tinier-yolo-face.cfg models/ifq-tinier-yolo-face.ifqf "$@" & local b=$!
  wait $a || echo "float run: status $?"
  wait $b || echo "IFQ run: status $?"
}
# Phase 1: 100 steps to measure the rate of both runs side by side (lr steps
# far away, so the schedule so far is the one phase 2 continues exactly).
start=$SECONDS
both 100 1000000,1000001 "$budget"
rate=$(grep -ho "in [0-9.]* s: [0-9]* images/s" "$out/ifq-tinier-yolo-face.train.log" | tail -n 1 | awk '{print $4}')
rate=${rate:-0}
left=$((budget - (SECONDS - start)))
# Phase 2: as many steps as the rest of the budget holds (the slower IFQ
# run's rate), decay at 80 % and 90 %; --max-seconds stops and exports if
# the estimate was too high.
steps=$((rate * left / batch * 9 / 10))
((steps > 100)) || steps=101
steps=$((steps > ${STEPS:-1000000} ? ${STEPS:-1000000} : steps))
echo "phase 1: $rate images/s; phase 2 to step $steps within $left s" | tee -a "$out/phases.log"
rm -f "$out"/*.ifqf
both "$steps" "$((steps * 8 / 10)),$((steps * 9 / 10))" "$((left > 10 ? left - 10 : 1))" --resume
tail -n 4 "$out"/*.train.log
ls -la "$out"
