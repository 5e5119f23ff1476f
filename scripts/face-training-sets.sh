# The real-photo training data of the face detectors, sourced by the training
# scripts (from the repository root): prepares the data when it is missing,
# then defines the mix, the held-out sets and the recipe
# (scripts/face-recipe.sh).
[[ -f data/real/train/facelib_samples_teacher.txt ]] || bash scripts/make-real-face-sets.sh ../shared/data/faces/real data/real
[[ -f data/faces/vec/trainingfaces_24-24.vec ]] || bash scripts/fetch-face-data.sh data/faces
[[ -f data/gen/train160/bbx_gt.txt && -f data/gen/test416/bbx_gt.txt ]] || bash scripts/make-face-sets.sh data/faces data/gen
source scripts/face-recipe.sh
