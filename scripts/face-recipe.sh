# The face detectors' training mix, held-out sets and recipe: definitions
# only, no data preparation, so the GPU machine's script can source them
# too (scripts/device-train-real-face-detectors.sh maps the set paths onto its
# packed copies). Defines face_training_sets, the --set flags
# FILE:WEIGHT:MIN_FACE, face_test_sets, the four held-out sets as ifq
# face-benchmark takes them, and stage5_recipe, the sampling and schedule of
# every continuation since stage 5. A weight is the set's share of the
# samples: unmasked people and WIDER first (what users point a detector at),
# masks for variety, generated faces a little. Faces under 6 px in the stored
# photos are ignore regions.
face_training_sets=(
  --set data/real/train/facelib_samples_teacher.txt:3:6 --set data/real/train/ultraface_samples_teacher.txt:1.5:6
  --set data/real/train/wider_val416.txt:2.5:6 --set data/real/train/kaggle_facemask.txt:1.5:6
  --set data/real/train/ilc2021_facemask.txt:1.5:6 --set data/real/train/eden_maskwearing.txt:0.3:6
  --set data/gen/train160/bbx_gt.txt:0.5)
# The held-out sets (docs/detection.md, "Measured"): faces of at least 30 px
# on the people photos and 10 px elsewhere count; smaller ones are ignored.
face_test_sets=(
  --set people=data/real/test/people.txt:30 --set wider=data/real/test/wider.txt:10
  --set masks=data/real/test/masks.txt:10 --set generated=data/gen/test416/bbx_gt.txt)
# IFQ-Tinier-YOLO stage 5's sampling and schedule for N steps, the recipe of
# every later continuation of both face detectors (IFQ-Tinier-YOLO stages 6
# and 7, the float stage 3, DupNet stages 2-5, and the studies): aspect-true
# 384-px samples shaped like ifq detect's default input, zoom up to 3x the 416
# view, faces under 14 px ignored, Adam 2.5e-4, lr x0.1 at 80 % and 90 % of
# the steps. Sets the array recipe; THREADS (default 1) threads.
stage5_recipe() {  # N
  local n=$1
  recipe=(--train-size 384 --multi-scale 320 448 --zoom 0.5 3.0 --mosaic 0.5 --aspect 1.25 --keep-aspect 0.85
    --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 14 --batch 16 --optimizer adam --lr 0.00025
    --burn-in 100 --steps "$n" --lr-steps "$((n * 8 / 10)),$((n * 9 / 10))" --lr-scales 0.1,0.1
    --threads "${THREADS:-1}" --log-every 50)
}
