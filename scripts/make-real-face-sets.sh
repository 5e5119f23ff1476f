#!/usr/bin/env bash
# The fixed split of the real face photos in ../shared/data/faces/real (read
# its SOURCES.md) into training sets and held-out test sets that are never
# trained on (docs/detection.md, "Real photos"). `ifq face-split` puts an
# image in the test part when FNV-1a-64 of its path mod 100 is below the set's
# percentage, so the split is the same everywhere and for every run.
#
#   set                         held out  why
#   facelib_samples_teacher     30 %      ordinary photos of unmasked people (portraits, couples, groups)
#   ultraface_samples_teacher   30 %      crowded group photos
#   wider_val416                20 %      WIDER FACE val (official boxes; invalid faces are ignore regions)
#   kaggle_facemask             10 %      masked faces, many tiny
#   ilc2021_facemask            10 %      masked faces, larger
#   eden_maskwearing             0 %      (19 photos: all for training)
#
# Test sets written (one bbx_gt each; paths relative to OUT/test):
#   OUT/test/people.txt   facelib + ultraface held-out photos (teacher labels)
#   OUT/test/wider.txt    WIDER val held-out photos (official boxes)
#   OUT/test/masks.txt    kaggle + ILC held-out photos (hand labels)
# Training sets: OUT/train/<set>.txt, one per set (paths relative to OUT/train).
#
# usage: scripts/make-real-face-sets.sh [REAL] [OUT]   (defaults: ../shared/data/faces/real data/real)
set -euo pipefail
real=${1:-../shared/data/faces/real}
out=${2:-data/real}
ifq=${IFQ:-build/ifq}
[[ -f $real/facelib_samples_teacher/bbx_gt.txt ]] || { echo "make-real-face-sets: no photo sets under $real" >&2; exit 1; }
mkdir -p "$out/train" "$out/test/parts"
split() {  # set percent
  "$ifq" face-split --gt "$real/$1/bbx_gt.txt" --test-percent "$2" --train-out "$out/train/$1.txt" \
    --test-out "$out/test/parts/$1.txt"
}
split facelib_samples_teacher 30
split ultraface_samples_teacher 30
split wider_val416 20
split kaggle_facemask 10
split ilc2021_facemask 10
split eden_maskwearing 0
# The parts hold paths relative to test/parts; the joined files live one
# folder up, so every path gains "../" only if it climbs out: rebase by
# re-splitting at 100 % into the test folder.
join() {  # name parts...
  local name=$1
  shift
  local tmp
  tmp=$(mktemp "$out/test/.join.XXXXXX")
  for p in "$@"; do cat "$out/test/parts/$p.txt"; done > "$tmp"
  mv "$tmp" "$out/test/parts/$name.joined.txt"
  "$ifq" face-split --gt "$out/test/parts/$name.joined.txt" --test-percent 100 \
    --train-out "$out/test/parts/.$name.empty.txt" --test-out "$out/test/$name.txt" > /dev/null
  echo "test set $out/test/$name.txt: $(grep -c . "$out/test/$name.txt") lines"
}
join people facelib_samples_teacher ultraface_samples_teacher
join wider wider_val416
join masks kaggle_facemask ilc2021_facemask
