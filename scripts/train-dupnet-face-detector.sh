#!/usr/bin/env bash
# Trains the shipped DupNet-Tinier-YOLO face detector (docs/dupnet.md) on the
# same data and with the same recipe as IFQ-Tinier-YOLO's later stages
# (scripts/train-real-face-detectors.sh): the real-photo mix, 320 px inputs
# (multi-scale 256-384), faces under 8 px ignored, Adam, batch 16, one thread.
#
# Start: the layers DupNet shares with IFQ-Tinier-YOLO come from the shipped
# IFQ-Tinier-YOLO (--init-backbone: the first conv, whose filters now read the
# image 4 times, starts as the same function, weights / 4; then convs 2-4 and
# the batch norms whose shapes match); the duplicated layers 5-9 start random.
#
# The run checkpoints every 50 steps into OUT/dupnet-tinier-yolo-face.ckpt;
# re-running resumes exactly where it stopped (Ctrl-C is safe). Across CPU
# sessions the checkpoint is committed as models/dupnet-tinier-yolo-face.ckpt
# (copied back to OUT by this script when OUT has none).
#
# usage: scripts/train-dupnet-face-detector.sh [OUT]   (default results/train-dupnet)
#   STEPS (default 13200: IFQ-Tinier-YOLO stages 1-3 together), IFQ (default build/ifq), THREADS (1)
#   ONLY=stageN runs that stage alone (its init from OUT; stage 2 from the commit that shipped it when OUT has none)
set -euo pipefail
out=${1:-results/train-dupnet}
ifq=${IFQ:-build/ifq}
steps=${STEPS:-13200}
mkdir -p "$out"
source scripts/face-training-sets.sh
name=dupnet-tinier-yolo-face
want() { [[ -z ${ONLY:-} || $ONLY == "$1" ]]; }
[[ -f $out/$name.ckpt || ! -f models/$name.ckpt ]] || cp "models/$name.ckpt" "$out/$name.ckpt"
if want stage1 && [[ ! -f $out/$name.ifqf ]]; then
  resume=()
  [[ -f $out/$name.ckpt ]] && resume=(--resume)
  "$ifq" train --cfg models/$name.cfg "${face_training_sets[@]}" --init-backbone models/ifq-tinier-yolo-face.ifqf \
    --train-size 320 --multi-scale 256 384 --zoom 0.5 2.0 --mosaic 0.5 --aspect 1.25 --keep-aspect 0.25 \
    --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 8 --batch 16 --optimizer adam --lr 0.001 \
    --burn-in 200 --steps "$steps" --lr-steps "$((steps * 7 / 10)),$((steps * 9 / 10))" --lr-scales 0.1,0.1 \
    --threads "${THREADS:-1}" --log-every 50 --seed 43 \
    --checkpoint "$out/$name.ckpt" --checkpoint-every 50 "${resume[@]}" --out "$out/$name.ifqf" --no-progress \
    >> "$out/$name.log" 2>&1
fi
want stage1 && "$ifq" convert --in "$out/$name.ifqf" --out "$out/$name.ifqi"

# Stage 2 (2026-12-04, CPU, no GPU lent): IFQ-Tinier-YOLO's stage 5 recipe
# (scripts/train-real-face-detectors.sh) from the stage-1 DupNet above: 2,400
# steps on samples shaped like ifq detect's default input (each photo at its
# own resolution with its aspect kept): mostly aspect-true photos, zoom up to
# 3x the 416 view, 384 px (multi-scale 320-448), faces under 14 px ignored,
# Adam 2.5e-4. Shipped only if its integer people rate at the FDDB budget
# (scripts/benchmark-face-detectors.sh, default input) beats stage 1's.
# One continuation stage: IFQ-Tinier-YOLO's stage-5 recipe from INIT.
continue_stage() {  # stage init seed [extra train flags...]
  local stage=$1 init=$2 seed=$3
  shift 3
  want "${stage%-*}" || return 0  # stage5-long is part of stage 5
  local steps=${STAGE_STEPS:-2400} run=$name-$stage
  if [[ ! -f $out/$run.ifqf ]]; then
    local resume=() recipe
    [[ -f $out/$run.ckpt ]] && resume=(--resume)
    stage5_recipe "$steps"
    "$ifq" train --cfg models/$name.cfg "${face_training_sets[@]}" --init "$init" "${recipe[@]}" \
      --seed "$seed" "$@" --checkpoint "$out/$run.ckpt" --checkpoint-every 50 "${resume[@]}" \
      --out "$out/$run.ifqf" --no-progress >> "$out/$run.log" 2>&1
  fi
  "$ifq" convert --in "$out/$run.ifqf" --out "$out/$run.ifqi"
}
continue_stage stage2 "$out/$name.ifqf" 31

# Stage 3 (2026-12-04, eighth CPU session, no GPU lent): stage 2 left DupNet
# below IFQ-Tinier-YOLO on the held-out people photos (0.653 against 0.683 at
# the FDDB budget) after gaining 4.7 points over stage 1, so the same recipe
# runs 2,400 more steps from stage 2 (another seed). Shipped only if its
# integer people rate at the FDDB budget beats stage 2's (tie: at 2 false
# positives, then AP). Outcome: it does not (people 0.409; the log says all),
# so stage 2 stays shipped.
# (With ONLY=stageN and no stage 2 in OUT, stage 2 is taken from the commit that shipped it.)
[[ -f $out/$name-stage2.ifqf ]] || git show 90ac967:models/$name.ifqf > "$out/$name-stage2.ifqf"
continue_stage stage3 "$out/$name-stage2.ifqf" 47

# Stage 4 (2026-12-05, twelfth CPU session, no GPU lent): the same from
# stage 2 (seed 53), with every HWGQ step refitted to its inputs by the
# piecewise-Gaussian rule at the retraining points (--step-rule
# piecewise-gaussian, docs/quantizers.md): in the face quantizer study the
# 4-bit run with that rule beat the one without by 16 points on people,
# with the weight rule changed too; this run tests the step rule alone on
# binary DupNet. Shipped only if its integer people rate at the FDDB budget
# beats stage 2's (tie: at 2 false positives, then AP). Outcome: it does not
# (people 0.622 against 0.653; better at 2 false positives, 0.564 against
# 0.514, and in AP; docs/dupnet.md), so stage 2 stays shipped.
continue_stage stage4 "$out/$name-stage2.ifqf" 53 --step-rule piecewise-gaussian

# Stage 5 (2026-12-05/06, fifteenth and sixteenth CPU sessions, no GPU lent;
# shipped): what made IFQ-Tinier-YOLO's stage 7, then a teacher. First 6,000
# steps of the same recipe from stage 2 without weight decay on the binary
# latent weights (--binary-decay 0, seed 91; run as
# scripts/train-long-continuations.sh, log
# models/logs/dupnet-tinier-yolo-face.long-binary-decay0.train.log): alone it
# does not ship (people 0.583, 354 pooled real faces: more faces than stage 2
# at 1-2 and at 20 or more false positives, fewer at the budgets). Then 2,000 steps from it with the
# float Tinier-YOLO as distillation teacher (objectness and boxes, weight 1,1),
# again --binary-decay 0, seed 61 (run as `DUPNET_INIT=... SEED=61
# BINARY_DECAY=0 RUNS=dupnet-distill BENCHMARK=0 scripts/study-distillation.sh`,
# the same flags as here; log models/logs/dupnet-tinier-yolo-face.stage5.train.log).
# Rule, written before scoring: ship if its integer people rate at the FDDB
# budget beats stage 2's (0.653) and it finds at least as many real faces
# pooled over people, masks and WIDER at their budgets (400). It found 0.664
# and 405, so it ships (docs/dupnet.md, "Stage 5").
STAGE_STEPS=6000 continue_stage stage5-long "$out/$name-stage2.ifqf" 91 --binary-decay 0
STAGE_STEPS=2000 continue_stage stage5 "$out/$name-stage5-long.ifqf" 61 --binary-decay 0 \
  --distill-from models/tinier-yolo-face.ifqf --distill-weight 1,1

# Stage 6 (2026-12-07, twenty-first CPU session, no GPU lent; shipped): 2,000
# plain steps of the same recipe from stage 5 (no teacher, --binary-decay 0,
# seed 94) with the binary latent weights at a tenth of the schedule's rate
# (--binary-lr-scale 0.1, docs/training.md), paired with the same run at the
# full rate (results/s19/dupnet-control-94: people 0.598, 384 pooled). Run
# as `STEPS=2000 SEED=94 BINARY_DECAY=0 BINARY_LR_SCALE=0.1
# RUNS=dupnet-control BENCHMARK=0 scripts/study-distillation.sh`, the same
# flags as here; log models/logs/dupnet-tinier-yolo-face.stage6-binary-lr0.1.train.log.
# Rule, written before the run: ship if its integer people rate at the FDDB
# budget beats stage 5's (0.664), it finds at least 405 pooled real faces,
# converts exactly and keeps <= 37,785 B of weights. It found 0.680 and 414,
# so it ships (docs/dupnet.md, "Stage 6").
# (With ONLY=stage6 and no stage 5 in OUT, stage 5 is taken from the commit that shipped it.)
if want stage6 && [[ ! -f $out/$name-stage5.ifqf ]]; then git show fed7edb:models/$name.ifqf > "$out/$name-stage5.ifqf"; fi
STAGE_STEPS=2000 continue_stage stage6 "$out/$name-stage5.ifqf" 94 --binary-decay 0 --binary-lr-scale 0.1
