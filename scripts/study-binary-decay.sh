#!/usr/bin/env bash
# IFQ-Tinier-YOLO without weight decay on its binary latent weights
# (docs/training.md, "Weight decay on binary weights"; docs/detection.md,
# "Binary weights without decay"): stage 6's control run (stage 5's recipe,
# 2,000 plain steps from stage 5) with ifq train --binary-decay 0, seeds 61
# and 62 side by side, one thread each (about 60 minutes), each scored by
# ifq face-benchmark against the control run of the same seed: the same
# samples in the same order, only the decay of the binary weights differs.
#
# The controls are earlier runs (results/ is not committed; their logs are
# models/logs/ifq-tinier-yolo-face.stage6-control{,-seed62}.train.log):
#   seed 61: results/distillation/ifq-control.ifqf (scripts/study-distillation.sh at commit ecba776)
#   seed 62: INIT=results/old/stage5.ifqf SEED=62 RUNS=ifq-control scripts/study-distillation.sh results/seeds/62
# with results/old/stage5.ifqf = git show ecba776:models/ifq-tinier-yolo-face.ifqf.
#
# usage: scripts/study-binary-decay.sh [OUT]   (default: results/bd0)
#   CONTROL_61, CONTROL_62 (the controls' .ifqf), IFQ (default build/ifq)
set -euo pipefail
out=${1:-results/bd0}
ifq=${IFQ:-build/ifq}
declare -A control=([61]=${CONTROL_61:-results/distillation/ifq-control.ifqf}
  [62]=${CONTROL_62:-results/seeds/62/ifq-control.ifqf})
mkdir -p "$out" results/old
[[ -f results/old/stage5.ifqf ]] || git show ecba776:models/ifq-tinier-yolo-face.ifqf > results/old/stage5.ifqf
source scripts/face-training-sets.sh  # face_test_sets
jobs=()
for seed in 61 62; do
  INIT=results/old/stage5.ifqf SEED=$seed RUNS=ifq-control BINARY_DECAY=0 BENCHMARK=0 IFQ=$ifq \
    scripts/study-distillation.sh "$out/$seed" > "$out/$seed.out" 2>&1 &
  jobs+=("$!:$seed")
done
for job in "${jobs[@]}"; do
  wait "${job%%:*}" || { echo "training failed: see $out/${job#*:}.out" >&2; exit 1; }
done
for seed in 61 62; do
  [[ -f ${control[$seed]%.ifqf}.ifqi ]] || "$ifq" convert --in "${control[$seed]}" --out "${control[$seed]%.ifqf}.ifqi"
  "$ifq" face-benchmark "${face_test_sets[@]}" \
    --detector "IFQ-Tinier-YOLO, stage 6 control, seed $seed=${control[$seed]%.ifqf}.ifqi" \
    --detector "the same run with --binary-decay 0=$out/$seed/ifq-control.ifqi" \
    --level-check "$out/$seed/ifq-control.ifqf=$out/$seed/ifq-control.ifqi" --level-images 20 \
    --detector-input-size auto --draw 0 --out-dir "$out/benchmark-$seed" > "$out/benchmark-$seed.out" 2>&1 &
  jobs+=("$!:benchmark-$seed")
done
for job in "${jobs[@]:2}"; do
  wait "${job%%:*}" || { echo "benchmark failed: see $out/${job#*:}.out" >&2; exit 1; }
done
