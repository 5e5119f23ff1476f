#!/usr/bin/env bash
# 1 vs 2 processes of data-parallel training on this machine (docs/distributed.md,
# "What scales"): images/s from the trainer's last log line (rank 0 counts the
# global batch) for the Fashion-MNIST network and IFQ-Tinier-YOLO, with 1 thread,
# 2 threads, and `ifq launch --nproc 2` with synchronised and per-rank BN.
# Needs the real-photo sets of scripts/make-real-face-sets.sh in data/real.
# Then: how far a change of summation order moves the weights after 20 steps
# (2 ranks instead of 1, and 2 threads instead of 1), with `ifq model-diff`.
#
# usage: scripts/distributed-throughput.sh [OUT]   (default: results/distributed)
set -euo pipefail
out=${1:-results/distributed}
ifq=${IFQ:-build/ifq}
mkdir -p "$out"
rate() { grep -o "[0-9]* images/s" | tail -1; }
compare() {  # label command...: 1 thread, 2 threads, 2 ranks, 2 ranks per-rank BN
  local label=$1
  shift
  echo "$label 1 process x 1 thread: $("$ifq" "$@" --threads 1 2>&1 | rate)"
  echo "$label 1 process x 2 threads: $("$ifq" "$@" --threads 2 2>&1 | rate)"
  echo "$label 2 processes x 1 thread, synchronised BN: $("$ifq" launch --nproc 2 -- ifq "$@" --threads 1 --dist-backend gloo 2>&1 | rate)"
  echo "$label 2 processes x 1 thread, per-rank BN: $("$ifq" launch --nproc 2 -- ifq "$@" --threads 1 --dist-backend gloo --no-sync-bn 2>&1 | rate)"
}
compare fashion-hwgq train --cfg models/fashion-hwgq.cfg --steps 300 --batch 128 --no-progress --no-test \
  --log-every 300 --out "$out/fashion.ifqf"
t=data/real/train
compare ifq-tinier-yolo train --cfg models/ifq-tinier-yolo-face.cfg --set "$t/facelib_samples_teacher.txt:3:6" \
  --set "$t/wider_val416.txt:2:6" --set "$t/kaggle_facemask.txt:1.5:6" --train-size 288 --batch 16 --steps 100 \
  --mosaic 0.3 --flip --no-progress --log-every 100 --out "$out/tinier-yolo.ifqf"
for cfg in fashion-fp32 fashion-hwgq; do
  c=(train --cfg "models/$cfg.cfg" --steps 20 --batch 32 --no-progress --no-test)
  "$ifq" "${c[@]}" --threads 1 --out "$out/t1.ifqf" > /dev/null
  "$ifq" "${c[@]}" --threads 2 --out "$out/t2.ifqf" > /dev/null
  "$ifq" launch --nproc 1 -- ifq "${c[@]}" --threads 1 --dist-backend gloo --out "$out/r1.ifqf" > /dev/null 2>&1
  "$ifq" launch --nproc 2 -- ifq "${c[@]}" --threads 1 --dist-backend gloo --out "$out/r2.ifqf" > /dev/null 2>&1
  echo "$cfg, 20 steps, 1 process with 1 vs 2 threads: $("$ifq" model-diff "$out/t1.ifqf" "$out/t2.ifqf" | tail -1)"
  echo "$cfg, 20 steps, 1 vs 2 ranks: $("$ifq" model-diff "$out/r1.ifqf" "$out/r2.ifqf" | tail -1)"
done
