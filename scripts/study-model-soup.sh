#!/usr/bin/env bash
# Model soups of the face detectors (docs/detection.md, "Model soups"): the
# element-wise mean of runs fine-tuned from one start (ifq model-average),
# as it is and with its BN statistics re-estimated on whole photos seen as
# at inference (ifq train --init SOUP --steps 0 --precise-bn 200, the
# "inference views" of scripts/study-precise-bn.sh), converted and scored
# next to the shipped integer models with ifq face-benchmark on the held-out
# sets. About 30 minutes on 2 shared cores.
#
# The ingredients are earlier runs' models (results/ is not committed; each
# run's command is the second line of its log in models/logs/):
#   IFQ-Tinier-YOLO, 2,000 steps from stage 5 (scripts/study-distillation.sh):
#     distilled, seed 61 (the shipped stage 6)   ifq-tinier-yolo-face.stage6-distill.train.log
#     distilled, seed 62                         ...stage6-distill-ema-seed62.train.log (its last step)
#     distilled, seed 63                         ...stage6-distill-seed63.train.log
#     control, seed 61                           ...stage6-control.train.log
#     control, seed 62                           ...stage6-control-seed62.train.log
#     distilled from float stage 3, seed 61      ...stage6-distill-stage3-teacher.train.log
#   DupNet-Tinier-YOLO, 2,000 distilled steps from the shipped stage 2, seed 61:
#     stage-2 teacher                            dupnet-tinier-yolo-face.distill.train.log
#     stage-3 teacher                            dupnet-tinier-yolo-face.distill-stage3-teacher.train.log
#
# 2026-12-07 (docs/detection.md, "Soups of runs without binary decay"): the shipped models and
# their continuations without binary decay (scripts/study-distillation.sh, seventeenth and
# eighteenth sessions):
#   IFQ_RUNS="models/ifq-tinier-yolo-face.ifqf results/s17/ifq-long/ifq-control.ifqf
#     results/s18/control/ifq-control.ifqf results/s18/diou/ifq-control.ifqf"
#   DUPNET_RUNS="models/dupnet-tinier-yolo-face.ifqf results/s17/dupnet-long/dupnet-distill.ifqf"
#   IFQ_RUNS=... DUPNET_RUNS=... scripts/study-model-soup.sh results/s18/soup
#
# usage: scripts/study-model-soup.sh [OUT]   (default: results/soup)
#   IFQ_RUNS, DUPNET_RUNS (space-separated .ifqf paths; default: the runs above
#   where the study scripts wrote them), IFQ (default build/ifq)
set -euo pipefail
out=${1:-results/soup}
ifq=${IFQ:-build/ifq}
read -r -a ifq_runs <<< "${IFQ_RUNS:-results/distillation/ifq-distill.ifqf results/ema/62/ifq-distill.last.ifqf \
  results/seeds/63/ifq-distill.ifqf results/distillation/ifq-control.ifqf results/seeds/62/ifq-control.ifqf \
  results/teacher2/ifq/ifq-distill.ifqf}"
read -r -a dupnet_runs <<< "${DUPNET_RUNS:-results/distillation/dupnet-distill.ifqf \
  results/teacher2/dupnet/dupnet-distill.ifqf}"
mkdir -p "$out"
source scripts/face-training-sets.sh  # the data, and the shipped stages' set mix

inference_views=(--train-size 416 --multi-scale 384 448 --zoom 0.8 1.25 --mosaic 0 --aspect 1 --keep-aspect 1
  --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 14 --batch 16 --threads 1 --log-every 50 --seed 31
  --no-progress)
soup() {  # name cfg ingredients...
  local name=$1 cfg=$2
  shift 2
  [[ -f $out/$name.ifqi && -f $out/$name-precise-bn.ifqi ]] && return 0
  "$ifq" model-average --out "$out/$name.ifqf" "$@" > "$out/$name.log" 2>&1
  "$ifq" convert --in "$out/$name.ifqf" --out "$out/$name.ifqi" >> "$out/$name.log" 2>&1
  "$ifq" train --cfg "models/$cfg.cfg" "${face_training_sets[@]}" --init "$out/$name.ifqf" --steps 0 \
    --precise-bn 200 "${inference_views[@]}" --out "$out/$name-precise-bn.ifqf" >> "$out/$name.log" 2>&1
  "$ifq" convert --in "$out/$name-precise-bn.ifqf" --out "$out/$name-precise-bn.ifqi" >> "$out/$name.log" 2>&1
}
soup ifq-soup ifq-tinier-yolo-face "${ifq_runs[@]}" &
ifq_job=$!
soup dupnet-soup dupnet-tinier-yolo-face "${dupnet_runs[@]}" &
dupnet_job=$!
wait "$ifq_job" || { echo "IFQ-Tinier-YOLO soup failed: see $out/ifq-soup.log" >&2; exit 1; }
wait "$dupnet_job" || { echo "DupNet soup failed: see $out/dupnet-soup.log" >&2; exit 1; }
n_ifq=${#ifq_runs[@]}
n_dup=${#dupnet_runs[@]}
"$ifq" face-benchmark "${face_test_sets[@]}" \
  --detector "IFQ-Tinier-YOLO (integer, shipped)=models/ifq-tinier-yolo-face.ifqi" \
  --detector "IFQ-Tinier-YOLO, mean of $n_ifq runs=$out/ifq-soup.ifqi" \
  --detector "IFQ-Tinier-YOLO, mean of $n_ifq runs, precise BN=$out/ifq-soup-precise-bn.ifqi" \
  --detector "DupNet-Tinier-YOLO (integer, shipped)=models/dupnet-tinier-yolo-face.ifqi" \
  --detector "DupNet-Tinier-YOLO, mean of $n_dup runs=$out/dupnet-soup.ifqi" \
  --detector "DupNet-Tinier-YOLO, mean of $n_dup runs, precise BN=$out/dupnet-soup-precise-bn.ifqi" \
  --level-check "$out/ifq-soup.ifqf=$out/ifq-soup.ifqi" \
  --level-check "$out/ifq-soup-precise-bn.ifqf=$out/ifq-soup-precise-bn.ifqi" \
  --level-check "$out/dupnet-soup.ifqf=$out/dupnet-soup.ifqi" \
  --level-check "$out/dupnet-soup-precise-bn.ifqf=$out/dupnet-soup-precise-bn.ifqi" --level-images 20 \
  --detector-input-size auto --draw 0 --out-dir "$out/benchmark"
