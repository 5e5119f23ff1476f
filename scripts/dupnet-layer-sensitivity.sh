#!/usr/bin/env bash
# The per-layer measurements behind the DupNet-Tinier-YOLO preset
# (docs/dupnet.md): for each of Tinier-YOLO's 9 convolutions, its share of the
# weights and its quantization sensitivity = the detection drop when that
# layer alone is made binary (and its activation 2-bit HWGQ), starting from
# the shipped float Tinier-YOLO and fine-tuned for STEPS steps (the same steps
# for a baseline that changes nothing, so the drop is not the fine-tune's).
# Scored on the held-out real photos (people: faces >= 30 px; masks, wider).
#
# usage: scripts/dupnet-layer-sensitivity.sh [OUT]   (default results/dupnet-sensitivity)
#   STEPS (default 150), IFQ (default build/ifq), THREADS (default 1)
set -euo pipefail
out=${1:-results/dupnet-sensitivity}
ifq=${IFQ:-build/ifq}
steps=${STEPS:-150}
base=models/tinier-yolo-face.cfg
mkdir -p "$out"
source scripts/face-training-sets.sh

# cfg with conv number $1 (1-based) binary and, unless it is the detection
# conv, its activation 2-bit HWGQ; 0 changes nothing.
variant() {
  awk -v L="$1" '
    /^\[/ { conv = /^\[convolutional\]/; if (conv) n++ }
    conv && n == L && /^activation=leaky/ { print "activation=hwgq"; print "quant_bits=2"; next }
    { print }
    conv && n == L && /^\[convolutional\]/ { print "binary=1" }' "$base"
}

for layer in 0 1 2 3 4 5 6 7 8 9; do
  name=layer$layer
  [[ -f $out/$name.json ]] && continue
  variant "$layer" > "$out/$name.cfg"
  if [[ ! -f $out/$name.ifqf ]]; then
    resume=()
    [[ -f $out/$name.ckpt ]] && resume=(--resume)
    "$ifq" train --cfg "$out/$name.cfg" "${face_training_sets[@]}" --init models/tinier-yolo-face.ifqf \
      --train-size 256 --multi-scale 224 288 --zoom 0.6 1.5 --mosaic 0.3 --aspect 1.25 --keep-aspect 0.25 \
      --hue 0.02 --saturation 1.5 --exposure 1.5 --flip --min-face 10 --batch 16 --optimizer adam --lr 0.0002 \
      --burn-in 20 --steps "$steps" --lr-steps "$((steps * 8 / 10))" --lr-scales 0.1 --threads "${THREADS:-1}" --log-every 50 --seed 41 \
      --checkpoint "$out/$name.ckpt" --checkpoint-every 50 "${resume[@]}" --out "$out/$name.ifqf" --no-progress \
      >> "$out/$name.log" 2>&1
  fi
  "$ifq" face-benchmark --set people=data/real/test/people.txt:30 --set masks=data/real/test/masks.txt:10 \
    --set wider=data/real/test/wider.txt:10 --max-images 100 --draw 0 \
    --detector "$name=$out/$name.ifqf" --out-dir "$out/bench-$name" --json > "$out/$name.json.tmp"
  mv "$out/$name.json.tmp" "$out/$name.json"
  echo "layer $layer done: $out/$name.json"
done

# The table (docs/dupnet.md): weights and share per conv, and each variant's
# WIDER-style AP per set and mean, against the unchanged baseline (layer 0).
python3 - "$out" "$base" models/dupnet-tinier-yolo-face.cfg <<'PY'
import json, re, sys
out, base, dup = sys.argv[1:4]
def convs(path):
    layers, cur = [], None
    for line in open(path):
        line = line.strip()
        if line.startswith('['):
            cur = {} if line == '[convolutional]' else None
            if cur is not None: layers.append(cur)
        elif cur is not None and '=' in line:
            k, v = line.split('=', 1); cur[k] = v
    return layers
def weights(layers, channels=3):
    rows = []
    for l in layers:
        f, k = int(l['filters']), int(l.get('size', 1))
        d, r = int(l.get('duplicate', 1)), int(l.get('input_repeat', 1))
        rows.append((channels, f, k, d, r, f // d * r * channels * k * k, f * channels * k * k))
        channels = f
    return rows
b, d = weights(convs(base)), weights(convs(dup))
total = sum(r[6] for r in b)
def ap(layer):
    j = json.load(open(f'{out}/layer{layer}.json'))
    return {r['set']: r['wider_ap'] for r in j['results']}
base_ap = ap(0)
sets = list(base_ap)
mean = lambda a: sum(a[s] for s in sets) / len(sets)
print('| conv | in -> out, k | weights (Tinier-YOLO) | share | AP ' + ' / '.join(sets) + ' alone binary + 2-bit | mean AP | drop | DupNet: duplicate, input_repeat, stored weights |')
print('|---|---|---|---|---|---|---|---|')
print(f'| none (baseline, float) | | {total:,} | | ' + ' / '.join(f'{base_ap[s]:.3f}' for s in sets) + f' | {mean(base_ap):.3f} | | |')
for i, (c, f, k, _, _, _, w) in enumerate(b, 1):
    a = ap(i)
    dc, df, dk, dd, dr, dw, _ = d[i - 1]
    print(f'| {i} | {c} -> {f}, {k}x{k} | {w:,} | {100 * w / total:.1f} % | ' + ' / '.join(f'{a[s]:.3f}' for s in sets) +
          f' | {mean(a):.3f} | {mean(base_ap) - mean(a):+.3f} | {dd}, {dr}, {dw:,}' + (f' ({dc} -> {df})' if df != f else '') + ' |')
print(f'\nDupNet-Tinier-YOLO stored weights: {sum(r[5] for r in d):,} = {(sum(r[5] for r in d) + 7) // 8:,} B (Tinier-YOLO {total:,} = {(total + 7) // 8:,} B)')
PY
