#!/usr/bin/env bash
# The face benchmark behind docs/results/face-benchmark/report.json and the
# tables in README.md / docs/detection.md: the shipped detectors (IFQ-Tinier-YOLO
# and DupNet-Tinier-YOLO), OpenCV's Haar
# cascades (default and alt2) and the YuNet teacher (the float CNN upper
# reference) on the held-out real photos (scripts/make-real-face-sets.sh) and
# the generated test set (scripts/make-face-sets.sh).
#
#   people     held-out face-library + UltraFace photos (teacher labels), faces >= 30 px
#              (smaller ones are ignore regions: neither faces nor false positives)
#   wider      held-out WIDER val photos (official boxes), faces >= 10 px, invalid ones ignored
#   masks      held-out mask photos (hand labels), faces >= 10 px
#   generated  300 generated 416x416 images
#
# Every model runs as `ifq detect` does by default: each photo at its own
# resolution with its aspect kept (--input-size auto); every integer model is
# also scored stretched to its own 416x416 input (--input-size model, the
# default before 2026-12-03), with the image pyramid 1,1.5,0.5 at auto:2400
# (ifq detect --scales 1,1.5,0.5 --input-size auto:2400: more faces in crowds
# at about 3-4x the time), with the mirror at one level, boxes voted (ifq
# detect --flip --merge vote: about 1.3-1.5x the time), and with the pyramid
# 1,1.5 and the mirror, scores averaged over the four views (--scales 1,1.5
# --flip --merge mean --input-size auto:2400). The level check runs at the
# same per-photo sizes.
#
# usage: scripts/benchmark-face-detectors.sh [OUT] [EXTRA_LABEL=MODEL ...]   (default OUT: results/face-benchmark)
set -euo pipefail
out=${1:-results/face-benchmark}
shift || true
ifq=${IFQ:-build/ifq}
shared=${SHARED:-../shared/data/faces}
extra=()
for d in "$@"; do extra+=(--detector "$d"); done
"$ifq" face-benchmark \
  --set people=data/real/test/people.txt:30 --set wider=data/real/test/wider.txt:10 \
  --set masks=data/real/test/masks.txt:10 --set generated=data/gen/test416/bbx_gt.txt \
  --detector "Tinier-YOLO (float)=models/tinier-yolo-face.ifqf" \
  --detector "IFQ-Tinier-YOLO (float quantization network)=models/ifq-tinier-yolo-face.ifqf" \
  --detector "IFQ-Tinier-YOLO (integer)=models/ifq-tinier-yolo-face.ifqi" \
  --detector "DupNet-Tinier-YOLO (float quantization network)=models/dupnet-tinier-yolo-face.ifqf" \
  --detector "DupNet-Tinier-YOLO (integer)=models/dupnet-tinier-yolo-face.ifqi" "${extra[@]}" \
  --haar-cascade "Haar default (OpenCV)=/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml" \
  --haar-cascade "Haar alt2 (OpenCV)=/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml" \
  --teacher "YuNet teacher (float CNN)=$shared/teachers/yunet/yunet.onnx" \
  --level-check "models/ifq-tinier-yolo-face.ifqf=models/ifq-tinier-yolo-face.ifqi" \
  --level-check "models/dupnet-tinier-yolo-face.ifqf=models/dupnet-tinier-yolo-face.ifqi" --level-images 50 \
  --detector-input-size auto --input-size model --scales 1,1.5,0.5 --pyramid-input-size auto:2400 \
  --scales 1+flip/vote@auto --scales 1,1.5+flip/mean@auto:2400 \
  --out-dir "$out"
