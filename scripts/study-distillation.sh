#!/usr/bin/env bash
# Distillation of the float Tinier-YOLO into the shipped quantized face
# detectors (docs/detection.md, "Distillation"): three continuations side by
# side, one thread each, with the recipe of IFQ-Tinier-YOLO's stage 5 (and
# DupNet's stage 2), STEPS steps, the same seed:
#   ifq-distill   IFQ-Tinier-YOLO from the shipped model, plus the float
#                 teacher's objectness and boxes (ifq train --distill-from)
#   ifq-control   the same run without the teacher: the paired control (same
#                 samples in the same order), since one continuation alone
#                 moves the people figure by 10-25 points
#   dupnet-distill  DupNet-Tinier-YOLO from the shipped model, with the teacher
# then converts each and scores them next to the shipped integer models with
# ifq face-benchmark on the held-out sets. Each run checkpoints every 50
# steps; re-running resumes and skips finished runs. About 85 minutes for
# 2,000 steps on 2 cores. It ran at commit ecba776, from stage 5; its
# ifq-distill has been the shipped IFQ-Tinier-YOLO since (its shipping run is
# also stage 6 of scripts/train-real-face-detectors.sh), so run now it goes on
# from that one. Two later runs (the shipped run with seed 62, and 1,800
# more distilled steps from stage 6, not shipped) are in models/logs/ with their
# exact commands: the seed alone moved people by 12 points at the budget.
#
# The seed replication (2026-12-05, from stage 5 as the shipped runs were):
#   git show ecba776:models/ifq-tinier-yolo-face.ifqf > results/old/stage5.ifqf
#   INIT=results/old/stage5.ifqf SEED=62 RUNS=ifq-control scripts/study-distillation.sh results/seeds/62 &
#   INIT=results/old/stage5.ifqf SEED=63 RUNS=ifq-distill scripts/study-distillation.sh results/seeds/63
#
# Weight averaging (2026-12-06): EMA=0.999 adds --ema to every run, which
# writes the averaged model as NAME.ifqf and the last step's as
# NAME.last.ifqf (the model of the same run without --ema: averaging does
# not change the steps), and benchmarks both:
#   INIT=results/old/stage5.ifqf SEED=61 EMA=0.999 RUNS=ifq-distill scripts/study-distillation.sh results/ema/61 &
#   INIT=results/old/stage5.ifqf SEED=62 EMA=0.999 RUNS=ifq-distill scripts/study-distillation.sh results/ema/62
# and on DupNet's distilled run (2026-12-06; the same rule against the shipped
# DupNet's 0.653 and 400 pooled faces; not met):
#   SEED=61 EMA=0.999 RUNS=dupnet-distill scripts/study-distillation.sh results/dupnet-ema
# The rule, fixed before these runs were scored: an averaged model ships only
# if its integer people rate at the FDDB budget beats the shipped model's
# (0.722) and it finds at least as many real faces pooled over people, masks
# and WIDER at their budgets (408 of 1,298).
#
# Every run above had the float Tinier-YOLO of stage 2 as teacher (shipped
# until 2026-12-06); to repeat one now, name it:
#   git show 5492839:models/tinier-yolo-face.ifqf > results/old/float-stage2.ifqf
#   TEACHER=results/old/float-stage2.ifqf ... scripts/study-distillation.sh ...
# 2026-12-06: the float twin with stage 5's recipe (shipped since as
# models/tinier-yolo-face.ifqf, its float stage 3), and then stage 6's run and
# DupNet's distilled run with it as the teacher, exactly paired with the
# stage-2-teacher runs (docs/detection.md, "A better teacher"):
#   STEPS=2400 SEED=71 RUNS=float scripts/study-distillation.sh results/float3
#   INIT=results/old/stage5.ifqf SEED=61 TEACHER=results/float3/float.ifqf RUNS=ifq-distill \
#     scripts/study-distillation.sh results/teacher2/ifq &
#   SEED=61 TEACHER=results/float3/float.ifqf RUNS=dupnet-distill scripts/study-distillation.sh results/teacher2/dupnet
# The rule for each, fixed before scoring: it ships if it beats its shipped
# model's people rate at the FDDB budget and finds at least as many pooled
# real faces (people, masks and WIDER at their budgets). Only the float run did.
#
# Attention transfer (ATTENTION=1; docs/detection.md, "Attention transfer"): the
# run that shipped as stage 6 with attention transfer, then its replications
# (2026-12-06, fifteenth session; neither ships, the effect on people replicates):
#   INIT=results/old/stage5.ifqf SEED=61 ATTENTION=1 RUNS=ifq-distill BENCHMARK=0 scripts/study-distillation.sh results/attention/61
#   INIT=results/old/stage5.ifqf SEED=62 TEACHER=results/old/float-stage2.ifqf ATTENTION=1 RUNS=ifq-distill \
#     BENCHMARK=0 scripts/study-distillation.sh results/s15/ifq62 &
#   SEED=61 ATTENTION=1 RUNS=dupnet-distill BENCHMARK=0 scripts/study-distillation.sh results/s15/dupnet
# (TEACHER left out is models/tinier-yolo-face.ifqf, the float stage 3.)
#
# Sixteenth session (2026-12-06): stage 7's control with the decay (same start,
# seed and length; docs/detection.md, "Length or decay"), and DupNet's stage 5,
# the teacher after DupNet's long run (results/long: scripts/train-long-continuations.sh):
#   INIT=results/old/stage6.ifqf STEPS=6000 SEED=91 RUNS=ifq-control BENCHMARK=0 \
#     scripts/study-distillation.sh results/decay6000 &
#   DUPNET_INIT=results/long/dupnet-control.ifqf SEED=61 BINARY_DECAY=0 RUNS=dupnet-distill BENCHMARK=0 \
#     scripts/study-distillation.sh results/s16/dupnet-distill
# (results/old/stage6.ifqf = git show 561d8c0:models/ifq-tinier-yolo-face.ifqf, stage 6 distilled.)
#
# Seventeenth session (2026-12-06; neither ships, docs/detection.md "Stage 7 continued" and
# docs/dupnet.md "Stage 5 continued with its teacher"): 5,000 more steps from IFQ-Tinier-YOLO
# stage 7 without a teacher, and 4,000 from DupNet stage 5 with its teacher, both without decay:
#   INIT=models/ifq-tinier-yolo-face.ifqf STEPS=5000 SEED=92 BINARY_DECAY=0 RUNS=ifq-control BENCHMARK=0 \
#     scripts/study-distillation.sh results/s17/ifq-long &
#   STEPS=4000 SEED=63 BINARY_DECAY=0 RUNS=dupnet-distill BENCHMARK=0 scripts/study-distillation.sh results/s17/dupnet-long
#
# Eighteenth session (2026-12-07; docs/detection.md "DIoU box loss"): 3,000 more steps from
# IFQ-Tinier-YOLO stage 7 without a teacher or decay, with darknet's squared-error box term and with DIoU:
#   INIT=models/ifq-tinier-yolo-face.ifqf STEPS=3000 SEED=93 BINARY_DECAY=0 RUNS=ifq-control BENCHMARK=0 \
#     scripts/study-distillation.sh results/s18/control &
#   BOX_LOSS=diou BOX_LOSS_WEIGHT=0.25 INIT=models/ifq-tinier-yolo-face.ifqf STEPS=3000 SEED=93 BINARY_DECAY=0 \
#     RUNS=ifq-control BENCHMARK=0 scripts/study-distillation.sh results/s18/diou
# and a second pair with STEPS=2000 SEED=94 into results/s18/control-94 and results/s18/diou-94.
#
# Nineteenth session (2026-12-07; docs/detection.md "Centre scale 2 with neighbour cells"): the same two
# continuations with [region] scale_x_y=2, paired with the squared-error controls above; results/s19/cfg
# holds models/ifq-tinier-yolo-face.cfg and models/dupnet-tinier-yolo-face.cfg with that one line added:
#   CFG_DIR=results/s19/cfg INIT=models/ifq-tinier-yolo-face.ifqf STEPS=2000 SEED=94 BINARY_DECAY=0 \
#     RUNS=ifq-control BENCHMARK=0 scripts/study-distillation.sh results/s19/sxy2-94 &
#   CFG_DIR=results/s19/cfg INIT=models/ifq-tinier-yolo-face.ifqf STEPS=3000 SEED=93 BINARY_DECAY=0 \
#     RUNS=ifq-control BENCHMARK=0 scripts/study-distillation.sh results/s19/sxy2-93
# and DupNet-Tinier-YOLO from its stage 5 with and without it (docs/dupnet.md):
#   CFG_DIR=results/s19/cfg STEPS=2000 SEED=94 BINARY_DECAY=0 RUNS=dupnet-control BENCHMARK=0 \
#     scripts/study-distillation.sh results/s19/dupnet-sxy2-94 &
#   STEPS=2000 SEED=94 BINARY_DECAY=0 RUNS=dupnet-control BENCHMARK=0 scripts/study-distillation.sh results/s19/dupnet-control-94
#
# Twentieth session (2026-12-07; docs/dupnet.md "Spending the spare budget"): DupNet-Tinier-YOLO with
# conv 6 at duplicate 4 (results/s20/cfg-w6) or conv 5 at duplicate 1 (results/s20/cfg-w5), each started
# from stage 5 as the same function (--init tiles the stored filters), paired with the control above:
#   CFG_DIR=results/s20/cfg-w6 STEPS=2000 SEED=94 BINARY_DECAY=0 RUNS=dupnet-control BENCHMARK=0 \
#     scripts/study-distillation.sh results/s20/w6 &
#   CFG_DIR=results/s20/cfg-w5 STEPS=2000 SEED=94 BINARY_DECAY=0 RUNS=dupnet-control BENCHMARK=0 \
#     scripts/study-distillation.sh results/s20/w5
# then stage 5's distilled half from each:
#   CFG_DIR=results/s20/cfg-w6 DUPNET_INIT=results/s20/w6/dupnet-control.ifqf STEPS=2000 SEED=61 BINARY_DECAY=0 \
#     RUNS=dupnet-distill BENCHMARK=0 scripts/study-distillation.sh results/s20/w6-distill
# and the same with w5 into results/s20/w5-distill.
#
# Twenty-first session (2026-12-07; docs/detection.md "A slower rate for the binary weights"): the
# binary latent weights at a tenth of the schedule's rate, paired with the seed-94 and seed-93 controls:
#   INIT=models/ifq-tinier-yolo-face.ifqf STEPS=2000 SEED=94 BINARY_DECAY=0 BINARY_LR_SCALE=0.1 RUNS=ifq-control \
#     BENCHMARK=0 scripts/study-distillation.sh results/s21/blr01-94 &
#   INIT=models/ifq-tinier-yolo-face.ifqf STEPS=3000 SEED=93 BINARY_DECAY=0 BINARY_LR_SCALE=0.1 RUNS=ifq-control \
#     BENCHMARK=0 scripts/study-distillation.sh results/s21/blr01-93
# and DupNet's, paired with results/s19/dupnet-control-94:
#   STEPS=2000 SEED=94 BINARY_DECAY=0 BINARY_LR_SCALE=0.1 RUNS=dupnet-control BENCHMARK=0 \
#     scripts/study-distillation.sh results/s21/dupnet-blr01-94
# and its seed-95 replicate from stage 5 (git show fed7edb:models/dupnet-tinier-yolo-face.ifqf), paired
# with results/s20/control-95:
#   DUPNET_INIT=results/old/dupnet-stage5.ifqf STEPS=2000 SEED=95 BINARY_DECAY=0 BINARY_LR_SCALE=0.1 \
#     RUNS=dupnet-control BENCHMARK=0 scripts/study-distillation.sh results/s21/dupnet-blr01-95
#
# Twenty-second session (2026-12-07; docs/detection.md and docs/dupnet.md "Attention transfer with the slower
# binary rate"): the two runs above with the float teacher and attention transfer, paired with them:
#   INIT=models/ifq-tinier-yolo-face.ifqf STEPS=2000 SEED=94 BINARY_DECAY=0 BINARY_LR_SCALE=0.1 ATTENTION=1 \
#     RUNS=ifq-distill BENCHMARK=0 scripts/study-distillation.sh results/s22/ifq-at-94 &
#   DUPNET_INIT=results/old/dupnet-stage5.ifqf STEPS=2000 SEED=94 BINARY_DECAY=0 BINARY_LR_SCALE=0.1 ATTENTION=1 \
#     RUNS=dupnet-distill BENCHMARK=0 scripts/study-distillation.sh results/s22/dupnet-at-94
# and DupNet-Tinier-YOLO with conv 7 at duplicate 8 (over budget, a diagnostic) or conv 8 at duplicate 4, each
# the shipped cfg with that one line changed, paired with results/s19/dupnet-control-94 (docs/dupnet.md,
# "Sharing conv 7 or conv 8 less"):
#   CFG_DIR=results/s22/cfg-c7d8 DUPNET_INIT=results/old/dupnet-stage5.ifqf STEPS=2000 SEED=94 BINARY_DECAY=0 \
#     RUNS=dupnet-control BENCHMARK=0 scripts/study-distillation.sh results/s22/c7d8 &
#   CFG_DIR=results/s22/cfg-c8d4 DUPNET_INIT=results/old/dupnet-stage5.ifqf STEPS=2000 SEED=94 BINARY_DECAY=0 \
#     RUNS=dupnet-control BENCHMARK=0 scripts/study-distillation.sh results/s22/c8d4
#
# Twenty-third session (2026-12-07; docs/dupnet.md "Training photos kept sharp"): DupNet stage 6's run with the
# training photos kept at up to 1600 px (ifq train --photo-max-side), paired with stage 6 itself:
#   DUPNET_INIT=results/old/dupnet-stage5.ifqf STEPS=2000 SEED=94 BINARY_DECAY=0 BINARY_LR_SCALE=0.1 \
#     PHOTO_MAX_SIDE=1600 RUNS=dupnet-control BENCHMARK=0 scripts/study-distillation.sh results/s23/dupnet-sharp
# (IFQ-Tinier-YOLO stage 7's run with the same change: scripts/train-long-continuations.sh.)
#
# Twenty-fourth session (2026-12-07; docs/detection.md "Where stage 7 sits among its recipe's runs"): a third
# draw of stage 7's own run, seed 95 (results/old/stage6.ifqf = git show 561d8c0:models/ifq-tinier-yolo-face.ifqf):
#   THREADS=2 INIT=results/old/stage6.ifqf STEPS=6000 SEED=95 BINARY_DECAY=0 RUNS=ifq-control BENCHMARK=0 \
#     scripts/study-distillation.sh results/s24/ifq-seed95
#
# usage: scripts/study-distillation.sh [OUT]   (default: results/distillation)
#   STEPS (default 2000), WEIGHT (default 1,1: objectness, boxes), IFQ (default build/ifq),
#   TEACHER (the float teacher; default the shipped models/tinier-yolo-face.ifqf),
#   SEED (default 61), INIT (the IFQ runs' starting model; default the shipped one),
#   DUPNET_INIT (the DupNet runs' starting model; default the shipped one),
#   RUNS (default "ifq-distill ifq-control dupnet-distill": which runs, side by side;
#         also "float": the float Tinier-YOLO from the shipped one, without a teacher, and
#         "ifq-from-float": IFQ-Tinier-YOLO from the shipped float one (--init), without a teacher, and
#         "dupnet-control": DupNet-Tinier-YOLO from the shipped one, without a teacher),
#   EMA (weight averaging decay; default none),
#   BINARY_DECAY (ifq train --binary-decay for every run; default: the cfg's decay),
#   BINARY_LR_SCALE (ifq train --binary-lr-scale for every run; default 1),
#   BOX_LOSS, BOX_LOSS_WEIGHT (ifq train --box-loss, --box-loss-weight for every run; default: darknet's squared error),
#   ATTENTION (ifq train --distill-attention for the distilled runs; default none),
#   PHOTO_MAX_SIDE (ifq train --photo-max-side for every run; default 640, the trainer's),
#   CFG_DIR (where the runs' cfg files are read; default models),
#   BENCHMARK (default 1; 0: train and convert only), THREADS (per run; default 1)
# Every run trains with stage5_recipe (scripts/face-recipe.sh) plus its own flags.
set -euo pipefail
out=${1:-results/distillation}
ifq=${IFQ:-build/ifq}
cfg_dir=${CFG_DIR:-models}
steps=${STEPS:-2000}
weight=${WEIGHT:-1,1}
seed=${SEED:-61}
ifq_init=${INIT:-models/ifq-tinier-yolo-face.ifqf}
dupnet_init=${DUPNET_INIT:-models/dupnet-tinier-yolo-face.ifqf}
read -r -a runs <<< "${RUNS:-ifq-distill ifq-control dupnet-distill}"
ema=${EMA:-}
binary_decay=()
[[ -z ${BINARY_DECAY:-} ]] || binary_decay=(--binary-decay "$BINARY_DECAY")
[[ -z ${BINARY_LR_SCALE:-} ]] || binary_decay+=(--binary-lr-scale "$BINARY_LR_SCALE")
box_loss=()
[[ -z ${BOX_LOSS:-} ]] || box_loss=(--box-loss "$BOX_LOSS")
[[ -z ${BOX_LOSS_WEIGHT:-} ]] || box_loss+=(--box-loss-weight "$BOX_LOSS_WEIGHT")
photo_size=()
[[ -z ${PHOTO_MAX_SIDE:-} ]] || photo_size=(--photo-max-side "$PHOTO_MAX_SIDE")
mkdir -p "$out"
source scripts/face-training-sets.sh  # the data, and the shipped stages' set mix

run() {  # name model init [extra train flags...]
  local name=$1 model=$2 init=$3
  shift 3
  if [[ ! -f $out/$name.ifqf ]]; then
    local resume=() averaging=() recipe
    [[ -f $out/$name.ckpt ]] && resume=(--resume)
    [[ -n $ema ]] && averaging=(--ema "$ema" --last-step-out "$out/$name.last.ifqf")
    stage5_recipe "$steps"
    "$ifq" train --cfg "$cfg_dir/$model.cfg" "${face_training_sets[@]}" --init "$init" "${recipe[@]}" \
      --seed "$seed" "$@" --checkpoint "$out/$name.ckpt" --checkpoint-every 50 \
      "${resume[@]}" "${averaging[@]}" "${binary_decay[@]}" "${box_loss[@]}" "${photo_size[@]}" --out "$out/$name.ifqf" --no-progress >> "$out/$name.log" 2>&1
  fi
  [[ $model == tinier-yolo-face ]] && return 0  # the float network is scored as it is
  "$ifq" convert --in "$out/$name.ifqf" --out "$out/$name.ifqi" >> "$out/$name.log" 2>&1
  [[ -z $ema ]] || "$ifq" convert --in "$out/$name.last.ifqf" --out "$out/$name.last.ifqi" >> "$out/$name.log" 2>&1
}
teacher=(--distill-from "${TEACHER:-models/tinier-yolo-face.ifqf}" --distill-weight "$weight")
[[ -z ${ATTENTION:-} ]] || teacher+=(--distill-attention "$ATTENTION")
declare -A how=(
  [ifq-distill]="ifq-tinier-yolo-face $ifq_init distill" [ifq-control]="ifq-tinier-yolo-face $ifq_init plain"
  [dupnet-distill]="dupnet-tinier-yolo-face $dupnet_init distill"
  [dupnet-control]="dupnet-tinier-yolo-face $dupnet_init plain"
  [float]="tinier-yolo-face models/tinier-yolo-face.ifqf plain"
  [ifq-from-float]="ifq-tinier-yolo-face models/tinier-yolo-face.ifqf plain")
declare -A label=([ifq-distill]="IFQ-Tinier-YOLO + $steps steps, distilled"
  [ifq-control]="IFQ-Tinier-YOLO + $steps steps, control" [dupnet-distill]="DupNet-Tinier-YOLO + $steps steps, distilled"
  [dupnet-control]="DupNet-Tinier-YOLO + $steps steps, control"
  [float]="Tinier-YOLO (float) + $steps steps"
  [ifq-from-float]="IFQ-Tinier-YOLO fine-tuned from the float Tinier-YOLO, $steps steps")
jobs=()
rows=()
checks=()
for name in "${runs[@]}"; do
  [[ -n ${how[$name]:-} ]] ||
    { echo "ifq: error: RUNS: unknown run '$name' (ifq-distill, ifq-control, dupnet-distill, dupnet-control, float, ifq-from-float)" >&2; exit 2; }
  read -r model init kind <<< "${how[$name]}"
  extra=()
  [[ $kind == distill ]] && extra=("${teacher[@]}")
  run "$name" "$model" "$init" "${extra[@]}" &
  jobs+=("$!:$name")
  if [[ $model == tinier-yolo-face ]]; then  # float: no integer model to check, and paired with the shipped one
    rows+=(--detector "Tinier-YOLO (float, shipped)=models/tinier-yolo-face.ifqf")
    rows+=(--detector "${label[$name]}, seed $seed=$out/$name.ifqf")
    [[ -z $ema ]] || rows+=(--detector "${label[$name]}, seed $seed, last step=$out/$name.last.ifqf")
    continue
  fi
  if [[ -n $ema ]]; then
    rows+=(--detector "${label[$name]}, seed $seed, averaged (--ema $ema)=$out/$name.ifqi")
    rows+=(--detector "${label[$name]}, seed $seed, last step=$out/$name.last.ifqi")
    checks+=(--level-check "$out/$name.last.ifqf=$out/$name.last.ifqi")
  else
    rows+=(--detector "${label[$name]}, seed $seed=$out/$name.ifqi")
  fi
  checks+=(--level-check "$out/$name.ifqf=$out/$name.ifqi")
done
for job in "${jobs[@]}"; do
  wait "${job%%:*}" || { echo "training failed: see $out/${job#*:}.log" >&2; exit 1; }
done
[[ ${BENCHMARK:-1} == 1 ]] || exit 0
"$ifq" face-benchmark "${face_test_sets[@]}" \
  --detector "IFQ-Tinier-YOLO (integer, shipped)=models/ifq-tinier-yolo-face.ifqi" \
  --detector "DupNet-Tinier-YOLO (integer, shipped)=models/dupnet-tinier-yolo-face.ifqi" "${rows[@]}" \
  "${checks[@]}" --level-images 20 --detector-input-size auto --draw 0 --out-dir "$out/benchmark"
