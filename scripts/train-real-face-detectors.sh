#!/usr/bin/env bash
# Trains the shipped face detectors on real photos, on the CPU (docs/detection.md,
# "Shipped models"): the exact commands behind models/tinier-yolo-face.ifqf and
# models/ifq-tinier-yolo-face.{ifqf,ifqi}.
#
#   1. data: scripts/make-real-face-sets.sh (fixed hold-out of ../shared/data/faces/real)
#      and scripts/fetch-face-data.sh + scripts/make-face-sets.sh (generated faces)
#   2. float Tinier-YOLO and IFQ-Tinier-YOLO (every conv binary, k = 2), side by side
#      (one LibTorch thread each: two 1-thread trainers beat one 2-thread trainer on
#      2 cores). Each starts its backbone (all but the new 3x3 detection conv) from
#      our earlier detector of the same kind, trained on generated faces and dlib's
#      photos (scripts/train-face-detectors.sh at commit 4aca77b; taken from git),
#      because from scratch the CPU budget did not get far (see FROM_SCRATCH)
#   3. when the float one is done, IFQ-Tinier-YOLO fine-tuned from it (--init)
#   4. integrated conversion of the IFQ networks; scripts/benchmark-face-detectors.sh
#      scores everything and the better IFQ network is copied to models/
#
# FROM_SCRATCH=1 trains both from random weights instead (the paper's way; 5,000
# steps with the same data, Adam 1e-3, batch 16, 320 px), into OUT/scratch.
#
# Each run checkpoints every 50 steps; re-running the script resumes where a run
# stopped (Ctrl-C is safe) and skips finished runs.
#
# usage: scripts/train-real-face-detectors.sh [OUT]   (default: results/train-real)
#   STEPS (default 3200), FINETUNE_STEPS (default 2400), THREADS (1 per run), IFQ (default build/ifq)
set -euo pipefail
out=${1:-results/train-real}
ifq=${IFQ:-build/ifq}
mkdir -p "$out"
source scripts/face-training-sets.sh  # the data, and the mix of stage 2 on

# Stage 1's sets and weights (a weight is the set's share of the samples);
# from stage 2 on, face_training_sets (scripts/face-training-sets.sh), with
# more weight on unmasked people and WIDER. Faces under 6 px in the stored
# photos are ignore regions, and so are faces under --min-face pixels in a sample.
t=data/real/train
sets=(--set "$t/facelib_samples_teacher.txt:3:6" --set "$t/ultraface_samples_teacher.txt:1:6"
      --set "$t/wider_val416.txt:2:6" --set "$t/kaggle_facemask.txt:1.5:6" --set "$t/ilc2021_facemask.txt:1.5:6"
      --set "$t/eden_maskwearing.txt:0.3:6" --set "data/gen/train160/bbx_gt.txt:1")
train() {  # name cfg [flags...]
  local name=$1 cfg=$2
  shift 2
  [[ -f $out/$name.ifqf ]] && return 0
  local resume=()
  [[ -f $out/$name.ckpt ]] && resume=(--resume)
  "$ifq" train --cfg "$cfg" "${sets[@]}" "$@" --checkpoint "$out/$name.ckpt" --checkpoint-every 50 \
    "${resume[@]}" --out "$out/$name.ifqf" --no-progress >> "$out/$name.log" 2>&1
}
both() {  # name-suffix [flags for both] -- [float flags] -- [ifq flags]
  local suffix=$1 common=() float=() quant=()
  shift
  while [[ $1 != -- ]]; do common+=("$1"); shift; done
  shift
  while [[ $1 != -- ]]; do float+=("$1"); shift; done
  shift
  quant=("$@")
  train "tinier-yolo-face$suffix" models/tinier-yolo-face.cfg "${common[@]}" "${float[@]}" &
  local float_run=$!
  train "ifq-tinier-yolo-face$suffix" models/ifq-tinier-yolo-face.cfg "${common[@]}" "${quant[@]}" &
  local ifq_run=$!
  wait "$float_run" || { echo "float Tinier-YOLO training failed: see $out/tinier-yolo-face$suffix.log" >&2; exit 1; }
  wait "$ifq_run" || { echo "IFQ-Tinier-YOLO training failed: see $out/ifq-tinier-yolo-face$suffix.log" >&2; exit 1; }
  "$ifq" convert --in "$out/ifq-tinier-yolo-face$suffix.ifqf" --out "$out/ifq-tinier-yolo-face$suffix.ifqi"
}

if [[ ${FROM_SCRATCH:-0} == 1 ]]; then
  out=$out/scratch
  mkdir -p "$out"
  both "" --train-size 320 --multi-scale 256 384 --zoom 0.5 1.5 --mosaic 0.5 --aspect 1.25 --keep-aspect 0.25 \
    --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 8 --batch 16 --optimizer adam --lr 0.001 \
    --burn-in 300 --steps 5000 --lr-steps 4000,4500 --lr-scales 0.1,0.1 --threads "${THREADS:-1}" --log-every 50 \
    --seed 7 -- -- 
  exit 0
fi

# The earlier detectors (generated faces + dlib photos), from git history.
for m in tinier-yolo-face ifq-tinier-yolo-face; do
  [[ -f $out/generated-$m.ifqf ]] || git show "4aca77b:models/$m.ifqf" > "$out/generated-$m.ifqf"
done
steps=${STEPS:-3200}
both "" --train-size 288 --multi-scale 224 352 --zoom 0.6 1.5 --mosaic 0.3 --aspect 1.25 --keep-aspect 0.25 \
  --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 10 --batch 16 --optimizer adam --lr 0.001 \
  --burn-in 100 --steps "$steps" --lr-steps "$((steps * 8 / 10)),$((steps * 9 / 10))" --lr-scales 0.1,0.1 \
  --threads "${THREADS:-1}" --log-every 50 --seed 11 \
  -- --init-backbone "$out/generated-tinier-yolo-face.ifqf" \
  -- --init-backbone "$out/generated-ifq-tinier-yolo-face.ifqf"

# IFQ-Tinier-YOLO fine-tuned from its float twin (--init: every layer), the
# other way the issue asks for; the benchmark decides which IFQ net ships.
ft_steps=${FINETUNE_STEPS:-2400}
train ifq-tinier-yolo-face-finetuned models/ifq-tinier-yolo-face.cfg --init "$out/tinier-yolo-face.ifqf" \
  --train-size 288 --multi-scale 224 352 --zoom 0.6 1.5 --mosaic 0.3 --aspect 1.25 --keep-aspect 0.25 \
  --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 10 --batch 16 --optimizer adam --lr 0.001 \
  --burn-in 100 --steps "$ft_steps" --lr-steps "$((ft_steps * 8 / 10)),$((ft_steps * 9 / 10))" --lr-scales 0.1,0.1 \
  --threads "${THREADS:-1}" --log-every 50 --seed 13
"$ifq" convert --in "$out/ifq-tinier-yolo-face-finetuned.ifqf" --out "$out/ifq-tinier-yolo-face-finetuned.ifqi"

# Stage 2 (2026-12-02, next CPU session): the stage-1 detectors above were
# under-fitted (training IoU 0.37, recall 0.37; on their own training photos
# they found 0.67 of the faces at the FDDB budget), so both go on from their
# stage-1 weights (--init: every layer) for LONG_STEPS more steps at half the
# rate, with more weight on unmasked people and WIDER and less on generated
# faces (tests are ordinary photos).
long_steps=${LONG_STEPS:-6000}
sets=("${face_training_sets[@]}")
both "-long" --train-size 288 --multi-scale 224 352 --zoom 0.6 1.5 --mosaic 0.3 --aspect 1.25 --keep-aspect 0.25 \
  --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 10 --batch 16 --optimizer adam --lr 0.0005 \
  --burn-in 100 --steps "$long_steps" --lr-steps "$((long_steps * 8 / 10)),$((long_steps * 9 / 10))" \
  --lr-scales 0.1,0.1 --threads "${THREADS:-1}" --log-every 50 --seed 17 \
  -- --init "$out/tinier-yolo-face.ifqf" \
  -- --init "$out/ifq-tinier-yolo-face.ifqf"

# Stage 3 (2026-12-02, third CPU session, no GPU lent): the integer detector
# trailed its float twin by 7 points on people and its training recall was
# still rising when stage 2's rate dropped, so IFQ-Tinier-YOLO alone goes on
# from its stage-2 weights for STAGE3_STEPS more steps at half stage 2's rate,
# on slightly larger inputs (small faces in group photos were the main misses)
# and with faces down to 8 px as targets. One run, so the other core stays free.
stage3_steps=${STAGE3_STEPS:-4000}
train ifq-tinier-yolo-face-stage3 models/ifq-tinier-yolo-face.cfg --init "$out/ifq-tinier-yolo-face-long.ifqf" \
  --train-size 320 --multi-scale 256 384 --zoom 0.6 1.5 --mosaic 0.3 --aspect 1.25 --keep-aspect 0.25 \
  --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 8 --batch 16 --optimizer adam --lr 0.00025 \
  --burn-in 100 --steps "$stage3_steps" --lr-steps "$((stage3_steps * 8 / 10)),$((stage3_steps * 9 / 10))" \
  --lr-scales 0.1,0.1 --threads "${THREADS:-1}" --log-every 50 --seed 23
"$ifq" convert --in "$out/ifq-tinier-yolo-face-stage3.ifqf" --out "$out/ifq-tinier-yolo-face-stage3.ifqi"

# Stage 4 (2026-12-02, fourth CPU session, no GPU lent): on the held-out people
# photos stage 3 finds 0.8-1.0 of the faces of 40 px and more at the model
# input but 0.1-0.3 of those of 20-40 px, and at 832 px inputs it finds the
# small ones but loses faces over 150 px (it never saw faces that large). So
# IFQ-Tinier-YOLO goes on from stage 3 over a wider zoom range (faces from half
# to twice their inference size), more mosaics (more small faces per sample)
# and slightly larger inputs; faces under 10 px stay ignore regions.
stage4_steps=${STAGE4_STEPS:-3000}
train ifq-tinier-yolo-face-stage4 models/ifq-tinier-yolo-face.cfg --init "$out/ifq-tinier-yolo-face-stage3.ifqf" \
  --train-size 352 --multi-scale 288 416 --zoom 0.5 2.0 --mosaic 0.5 --aspect 1.25 --keep-aspect 0.25 \
  --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 10 --batch 16 --optimizer adam --lr 0.00025 \
  --burn-in 100 --steps "$stage4_steps" --lr-steps "$((stage4_steps * 8 / 10)),$((stage4_steps * 9 / 10))" \
  --lr-scales 0.1,0.1 --threads "${THREADS:-1}" --log-every 50 --seed 29
"$ifq" convert --in "$out/ifq-tinier-yolo-face-stage4.ifqf" --out "$out/ifq-tinier-yolo-face-stage4.ifqi"

# Stage 5 (2026-12-03, sixth CPU session, no GPU lent): on the held-out people
# photos stage 4 misses mostly faces that stretching the photo to 416x416
# shrinks below 16 px; run at the photo's own resolution with its aspect kept
# (ifq detect --input-size auto, the new default) it finds twice as many. So
# IFQ-Tinier-YOLO goes on from stage 4 on samples shaped like that: mostly
# aspect-true photos (--keep-aspect 0.85), zoom up to 3x the 416 view (the
# photos at their own resolution), faces under 14 px ignore regions (the
# per-photo input keeps faces of interest larger). Two runs side by side, the
# same but for the mask sets' labels: hand boxes only, or hand boxes plus the
# YuNet teacher's boxes of faces the hand labels missed (ifq teacher-label
# --merge-with, score >= 0.7, added only below IoU 0.3 with every hand box).
t=data/real/train
for s in kaggle_facemask ilc2021_facemask eden_maskwearing; do
  [[ -f $t/$s.teacher-merged.txt ]] && continue
  grep -E '\.(jpg|jpeg|png|JPG|JPEG|PNG)$' "$t/$s.txt" > "$t/$s.list"
  "$ifq" teacher-label --teacher ../shared/data/faces/teachers/yunet/yunet.onnx --images "$t/$s.list" \
    --merge-with "$t/$s.txt" --out "$t/$s.teacher-merged.txt"
done
stage5_steps=${STAGE5_STEPS:-2400}
stage5() {  # name [--set ...]
  local name=$1
  shift
  sets=("$@")
  local recipe
  stage5_recipe "$stage5_steps"
  train "$name" models/ifq-tinier-yolo-face.cfg --init "$out/ifq-tinier-yolo-face-stage4.ifqf" "${recipe[@]}" --seed 31
  "$ifq" convert --in "$out/$name.ifqf" --out "$out/$name.ifqi"
}
stage5 ifq-tinier-yolo-face-stage5 "${face_training_sets[@]}" &
hand_run=$!
stage5 ifq-tinier-yolo-face-stage5-teacher \
  --set $t/facelib_samples_teacher.txt:3:6 --set $t/ultraface_samples_teacher.txt:1.5:6 --set $t/wider_val416.txt:2.5:6 \
  --set $t/kaggle_facemask.teacher-merged.txt:1.5:6 --set $t/ilc2021_facemask.teacher-merged.txt:1.5:6 \
  --set $t/eden_maskwearing.teacher-merged.txt:0.3:6 --set data/gen/train160/bbx_gt.txt:0.5 &
teacher_run=$!
wait "$hand_run" || { echo "stage 5 (hand labels) failed: see $out/ifq-tinier-yolo-face-stage5.log" >&2; exit 1; }
wait "$teacher_run" || { echo "stage 5 (teacher labels) failed: see $out/ifq-tinier-yolo-face-stage5-teacher.log" >&2; exit 1; }

# Stage 5, soft targets (2026-12-04, seventh CPU session): the same run as
# stage 5 with hand labels, plus the YuNet teacher's scores distilled as soft
# objectness targets: every teacher detection scoring >= 0.3 that overlaps no
# labelled or ignored face (IoU < 0.3) is a face whose objectness target is
# the teacher's score (ifq teacher-label --soft-out; --set FILE:W:MIN:SOFT).
for s in facelib_samples_teacher ultraface_samples_teacher wider_val416 kaggle_facemask ilc2021_facemask \
         eden_maskwearing; do
  [[ -f $t/$s.soft.txt ]] && continue
  grep -E '\.(jpg|jpeg|png|JPG|JPEG|PNG)$' "$t/$s.txt" > "$t/$s.list"
  "$ifq" teacher-label --teacher ../shared/data/faces/teachers/yunet/yunet.onnx --images "$t/$s.list" \
    --out "$t/$s.teacher.txt" --soft-out "$t/$s.soft.txt" --soft-min-score 0.3
done
stage5 ifq-tinier-yolo-face-stage5-soft \
  --set $t/facelib_samples_teacher.txt:3:6:$t/facelib_samples_teacher.soft.txt \
  --set $t/ultraface_samples_teacher.txt:1.5:6:$t/ultraface_samples_teacher.soft.txt \
  --set $t/wider_val416.txt:2.5:6:$t/wider_val416.soft.txt --set $t/kaggle_facemask.txt:1.5:6:$t/kaggle_facemask.soft.txt \
  --set $t/ilc2021_facemask.txt:1.5:6:$t/ilc2021_facemask.soft.txt \
  --set $t/eden_maskwearing.txt:0.3:6:$t/eden_maskwearing.soft.txt --set data/gen/train160/bbx_gt.txt:0.5

# Stage 6 (2026-12-04, eighth CPU session, no GPU lent): at the FDDB budget
# stage 5 misses 80 of the 259 held-out people faces, 55 of them in one
# crowd photo (89 faces of 30-45 px at its own 1600 px width), where Haar alt2
# misses 36; elsewhere the two miss about as many. Upscaling that photo 1.5x
# finds 7 more at score 0.5, so the faces are within reach but scored low. The
# crowd sets are the smallest of the mix (UltraFace 19 photos, WIDER 120), so
# both runs go on from stage 5 with twice their weight (UltraFace 1.5 -> 3,
# WIDER 2.5 -> 3.5); the second also zooms further in (up to 4x the 416 view)
# with faces from 10 px as targets. Side by side, one thread each. Rule,
# decided before scoring: the one with the higher integer people rate at the
# FDDB budget (tie: at 2 false positives, then AP) ships if it beats stage 5
# by the same rule. Outcome: neither does (people 0.479 and 0.664 against
# 0.683; docs/detection.md), so stage 5 stays shipped.
# (Started without the stage-5 run above, take stage 5 from git: the model
# shipped at commit ecba776.)
[[ -f $out/ifq-tinier-yolo-face-stage5.ifqf ]] ||
  git show ecba776:models/ifq-tinier-yolo-face.ifqf > "$out/ifq-tinier-yolo-face-stage5.ifqf"
stage6_steps=${STAGE6_STEPS:-2400}
crowd_sets=(--set $t/facelib_samples_teacher.txt:3:6 --set $t/ultraface_samples_teacher.txt:3:6
  --set $t/wider_val416.txt:3.5:6 --set $t/kaggle_facemask.txt:1.5:6 --set $t/ilc2021_facemask.txt:1.5:6
  --set $t/eden_maskwearing.txt:0.3:6 --set data/gen/train160/bbx_gt.txt:0.5)
stage6() {  # name zoom-max min-face
  local name=$1 zoom_max=$2 min_face=$3
  sets=("${crowd_sets[@]}")
  train "$name" models/ifq-tinier-yolo-face.cfg --init "$out/ifq-tinier-yolo-face-stage5.ifqf" \
    --train-size 384 --multi-scale 320 448 --zoom 0.5 "$zoom_max" --mosaic 0.5 --aspect 1.25 --keep-aspect 0.85 \
    --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face "$min_face" --batch 16 --optimizer adam \
    --lr 0.00025 --burn-in 100 --steps "$stage6_steps" \
    --lr-steps "$((stage6_steps * 8 / 10)),$((stage6_steps * 9 / 10))" --lr-scales 0.1,0.1 \
    --threads "${THREADS:-1}" --log-every 50 --seed 41
  "$ifq" convert --in "$out/$name.ifqf" --out "$out/$name.ifqi"
}
stage6 ifq-tinier-yolo-face-stage6-crowds 3.0 14 &
crowds_run=$!
stage6 ifq-tinier-yolo-face-stage6-crowds-close 4.0 10 &
close_run=$!
wait "$crowds_run" || { echo "stage 6 (crowds) failed: see $out/ifq-tinier-yolo-face-stage6-crowds.log" >&2; exit 1; }
wait "$close_run" || { echo "stage 6 (crowds, close) failed: see $out/ifq-tinier-yolo-face-stage6-crowds-close.log" >&2; exit 1; }

# Stage 6, distilled (2026-12-05, ninth CPU session; shipped): stage 5's recipe
# for 2,000 steps from stage 5, plus the float Tinier-YOLO (models/tinier-yolo-
# face.ifqf, shipped stage 2) as teacher: its objectness on every anchor and
# its boxes where it sees a face join the region loss (ifq train --distill-from,
# docs/training.md). scripts/study-distillation.sh ran it next to its paired
# control (the same run without the teacher) and DupNet with the same teacher.
# Rule as before: it ships because its integer people rate at the FDDB budget
# is higher (0.722 against 0.683; docs/detection.md, "Distillation").
# Its teacher is the float Tinier-YOLO of stage 2 (shipped until 2026-12-06;
# taken from git when the script is started here).
[[ -f $out/tinier-yolo-face-long.ifqf ]] ||
  git show 5492839:models/tinier-yolo-face.ifqf > "$out/tinier-yolo-face-long.ifqf"
stage6_distill_steps=${STAGE6_DISTILL_STEPS:-2000}
sets=("${face_training_sets[@]}")
stage5_recipe "$stage6_distill_steps"
train ifq-tinier-yolo-face-stage6-distill models/ifq-tinier-yolo-face.cfg \
  --init "$out/ifq-tinier-yolo-face-stage5.ifqf" --distill-from "$out/tinier-yolo-face-long.ifqf" --distill-weight 1,1 \
  "${recipe[@]}" --seed 61
"$ifq" convert --in "$out/ifq-tinier-yolo-face-stage6-distill.ifqf" --out "$out/ifq-tinier-yolo-face-stage6-distill.ifqi"

# Float stage 3 (2026-12-06, twelfth CPU session; shipped as
# models/tinier-yolo-face.ifqf): the float Tinier-YOLO had stopped at stage 2
# (stretched 288-px samples, zoom up to 1.5), while the IFQ network's big step
# came from stage 5's aspect-true samples shaped like a photo at its own
# resolution. So the float twin gets stage 5's recipe for 2,400 steps from its
# stage-2 weights (scripts/study-distillation.sh with RUNS=float ran exactly
# this). Rule, fixed before scoring: it ships if its people rate at the FDDB
# budget beats stage 2's (0.741) and it finds at least as many real faces
# pooled over people, masks and WIDER at their budgets (482); it found 0.788
# and 509 (docs/detection.md).
stage5_recipe "${FLOAT_STAGE3_STEPS:-2400}"
train tinier-yolo-face-stage3 models/tinier-yolo-face.cfg --init "$out/tinier-yolo-face-long.ifqf" "${recipe[@]}" --seed 71

# Stage 6 with attention transfer (2026-12-06, fourteenth CPU session; shipped
# until stage 7 below): stage 6's distilled run from
# stage 5 with the float stage 3 above as teacher, plus attention transfer at
# the input of every conv after the first (ifq train --distill-attention 1,
# docs/training.md). scripts/study-distillation.sh (ATTENTION=1) ran exactly
# this, paired with the same run without the term. Rule, fixed before
# scoring: it ships if its integer people rate at the FDDB budget beats the
# shipped stage 6's (0.722) and it finds at least as many real faces pooled
# over people, masks and WIDER at their budgets (408); it found 0.761 and 419
# (docs/detection.md, "Attention transfer").
stage5_recipe "$stage6_distill_steps"
train ifq-tinier-yolo-face-stage6-attention models/ifq-tinier-yolo-face.cfg \
  --init "$out/ifq-tinier-yolo-face-stage5.ifqf" --distill-from "$out/tinier-yolo-face-stage3.ifqf" \
  --distill-weight 1,1 --distill-attention 1 "${recipe[@]}" --seed 61
"$ifq" convert --in "$out/ifq-tinier-yolo-face-stage6-attention.ifqf" \
  --out "$out/ifq-tinier-yolo-face-stage6-attention.ifqi"

# Stage 7, long and without binary decay (2026-12-06, fifteenth CPU session;
# shipped as models/ifq-tinier-yolo-face.{ifqf,ifqi}): 6,000 steps (2.5x
# stage 6) of stage 5's recipe from stage 6, distilled, without a teacher
# and with --binary-decay 0, so that the binary latent weights, collapsed
# towards zero by the decay, can take signs from their gradients again
# (docs/training.md, "Weight decay on binary weights").
# scripts/train-long-continuations.sh ran exactly this, across sessions with
# exact resume. Rule, fixed before scoring: it ships if its integer people
# rate at the FDDB budget beats the shipped stage 6 with attention transfer
# (0.761) and it finds at least as many real faces pooled over people, masks
# and WIDER at their budgets (419); it found 0.780 and 462, more than stage 6
# with attention transfer on every set at the budget (docs/detection.md, "Stage 7").
stage5_recipe "${STAGE7_STEPS:-6000}"
train ifq-tinier-yolo-face-stage7 models/ifq-tinier-yolo-face.cfg \
  --init "$out/ifq-tinier-yolo-face-stage6-distill.ifqf" --binary-decay 0 "${recipe[@]}" --seed 91
"$ifq" convert --in "$out/ifq-tinier-yolo-face-stage7.ifqf" --out "$out/ifq-tinier-yolo-face-stage7.ifqi"
