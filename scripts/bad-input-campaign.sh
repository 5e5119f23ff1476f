#!/usr/bin/env bash
# The bad-input campaign (issue 15): feeds `ifq` damaged and hostile inputs
# of every kind it reads, as a user would meet them, and checks that each one
# gets a clear `ifq: error:` and a non-zero exit, within 60 s, without a
# crash (signal) and without being accepted. Writes the table of classes
# tried and the message each got (docs/results/bad-input.md by default) and
# exits 1 if any case crashed, hung, was accepted or gave no `ifq: error:`.
# ctest runs it (Hardening.BadInputCampaign) with the table going to the
# build folder.
#   usage: scripts/bad-input-campaign.sh [IFQ] [TABLE.md]
#          (defaults: build/ifq, docs/results/bad-input.md)
set -uo pipefail
cd "$(dirname "$0")/.."
ifq=$(realpath "${1:-build/ifq}")
table=${2:-docs/results/bad-input.md}
[[ -x $ifq ]] || { echo "ifq: error: $ifq is not an executable (build first: bash scripts/setup.sh)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seeds=$PWD/fuzz/corpus
fixtures=$PWD/tests/detect/fixtures

# ---- helpers ---------------------------------------------------------------
put() { printf "$2" > "$tmp/$1"; }                 # put NAME PRINTF-FORMAT
edit() { perl -0777 -pe "$3" "$1" > "$tmp/$2"; }    # edit SRC NAME PERL-SUBSTITUTION
head_bytes() { head -c "$2" "$1" > "$tmp/$3"; }     # head_bytes SRC N NAME
drop_tail() { head -c "-$2" "$1" > "$tmp/$3"; }     # drop_tail SRC N NAME
flip() {                                            # flip SRC OFFSET-FROM-END NAME: one bit
  perl -0777 -pe "substr(\$_, length(\$_) - $2, 1) ^= chr(1)" "$1" > "$tmp/$3"
}
# A safetensors file whose 8-byte header length is LEN and whose header is TEXT.
safetensors() { perl -e 'print pack("Q<", $ARGV[0]), $ARGV[1]' "$1" "$2" > "$tmp/$3"; }

rows=()
failures=0
# try KIND WHAT COMMAND...: runs the command in $tmp, judges it, records a row.
try() {
  local kind=$1 what=$2
  shift 2
  local rc verdict message
  (cd "$tmp" && timeout 60 "$@" > "$tmp/stdout" 2> "$tmp/stderr" < /dev/null)
  rc=$?
  # The most specific line: detect's per-image reason, else the error line.
  # (No early-exiting reader in a pipe: under pipefail a writer's SIGPIPE
  # failed the first choice after it had printed, which added the second.)
  message=$(grep -a -h '^skipped: ' "$tmp/stdout" "$tmp/stderr" | sed -n 1p)
  [[ -n $message ]] || message=$(grep -a -m1 '^ifq: error: ' "$tmp/stderr")
  [[ -n $message ]] || message=$(head -c 200 "$tmp/stderr")
  if [[ $rc -eq 124 ]]; then verdict="HANG"
  elif [[ $rc -ge 128 ]]; then verdict="CRASH (signal $((rc - 128)))"
  elif [[ $rc -eq 0 ]]; then verdict="ACCEPTED"
  elif ! grep -aq '^ifq: error: ' "$tmp/stderr"; then verdict="NO ifq: error:"
  else verdict="error, exit $rc"
  fi
  [[ $verdict == error* ]] || { failures=$((failures + 1)); echo "bad-input: $kind / $what: $verdict" >&2; }
  message=${message//|/\\|}
  message=${message//$tmp\//}
  message=${message//$PWD\//}
  rows+=("| $kind | $what | $verdict | \`${message:0:160}\` |")
}

good_float=$seeds/float_model/tiny-detector.ifqf
good_int=$seeds/int_model/tiny-detector.ifqi
good_png=$seeds/image/colour.png
good_jpg=$seeds/image/colour.jpg
cp "$good_png" "$tmp/ok.png"

# ---- float model files (ifq convert --in FILE) -------------------------------
convert_in() { try "float model" "$1" "$ifq" convert --in "$2" --out "$tmp/out.ifqi"; }
put f-empty.ifqf ''
convert_in "empty file" f-empty.ifqf
put f-short.ifqf 'abc'
convert_in "3 bytes, shorter than the header length" f-short.ifqf
safetensors 999999 '{}' f-long-header.ifqf
convert_in "header length beyond the file" f-long-header.ifqf
safetensors 18446744073709551615 '{}' f-huge-header.ifqf
convert_in "header length 2^64-1" f-huge-header.ifqf
safetensors 9 '{garbage}' f-not-json.ifqf
convert_in "header is not JSON" f-not-json.ifqf
safetensors 5 '[1,2]' f-array.ifqf
convert_in "header is a JSON array" f-array.ifqf
safetensors 2 '{}' f-no-meta.ifqf
convert_in "no __metadata__ (a plain safetensors file)" f-no-meta.ifqf
convert_in "an integer model given as a float model" "$good_int"
edit "$good_float" f-version.ifqf 's/"ifq.version":"1"/"ifq.version":"9"/'
convert_in "format version 9 (newer than this reader)" f-version.ifqf
drop_tail "$good_float" 100 f-truncated.ifqf
convert_in "tensor data truncated by 100 bytes" f-truncated.ifqf
flip "$good_float" 50 f-bitflip.ifqf
convert_in "one flipped bit in tensor data (CRC-32)" f-bitflip.ifqf
edit "$good_float" f-unknown-layer.ifqf 's/\\"type\\":\\"maxpool\\"/\\"type\\":\\"maxpuul\\"/'
convert_in "unknown layer type in the graph" f-unknown-layer.ifqf
edit "$good_float" f-dtype.ifqf 's/"dtype":"F32"/"dtype":"I32"/'
convert_in "tensor dtype I32 where F32 is required" f-dtype.ifqf
edit "$good_float" f-offsets.ifqf 's/"data_offsets":\[0,/"data_offsets":[4,/'
convert_in "tensor data offsets that do not tile the data" f-offsets.ifqf
edit "$good_float" f-filters.ifqf 's/\\"filters\\":8/\\"filters\\":9/'
convert_in "graph shape disagrees with the tensor (filters 8 -> 9)" f-filters.ifqf
mkdir -p "$tmp/a-directory.ifqf"
convert_in "a directory" a-directory.ifqf
convert_in "a missing file" missing.ifqf
convert_in "a PNG image" ok.png
edit "$good_float" f-anchor.ifqf 's/anchors\\":\[1.0,1.0,2.0,2.0\]/anchors\\":[1.0,1.0,2.0,0.0]/'
convert_in "a zero anchor in the region layer" f-anchor.ifqf
cp "$good_float" "$tmp/same.ifqf"
try "float model" "--out is the --in file (would overwrite it)" "$ifq" convert --in same.ifqf --out same.ifqf

# ---- integer model files (ifq inspect FILE, ifq detect --model FILE) --------
inspect_int() { try "integer model" "$1" "$ifq" inspect "$2"; }
inspect_int "empty file" f-empty.ifqf
inspect_int "header is not JSON" f-not-json.ifqf
inspect_int "no __metadata__" f-no-meta.ifqf
drop_tail "$good_int" 64 i-truncated.ifqi
inspect_int "tensor data truncated by 64 bytes" i-truncated.ifqi
flip "$good_int" 20 i-bitflip.ifqi
inspect_int "one flipped bit in tensor data (CRC-32)" i-bitflip.ifqi
edit "$good_int" i-format.ifqi 's/"ifq.format":"ifq-int-model"/"ifq.format":"ifq-xyz-model"/'
inspect_int "unknown ifq.format" i-format.ifqi
edit "$good_int" i-version.ifqi 's/"ifq.version":"1"/"ifq.version":"7"/'
inspect_int "format version 7" i-version.ifqi
edit "$good_int" i-unknown-op.ifqi 's/\\"type\\":\\"maxpool\\"/\\"type\\":\\"minpool\\"/'
inspect_int "unknown op type" i-unknown-op.ifqi
edit "$good_int" i-crc.ifqi 's/"ifq.crc32":"\{\\"o/"ifq.crc32":"{\\"i/'
inspect_int "checksum table names a tensor that is not there" i-crc.ifqi
edit "$good_int" i-bits.ifqi 's/\\"bits\\":2/\\"bits\\":9/'
inspect_int "quantizer of 9 bits (limit 8)" i-bits.ifqi
edit "$good_int" i-anchor.ifqi 's/anchors\\":\[1.0,1.0,2.0,2.0\]/anchors\\":[1.0,1.0,2.0,0.0]/'
try "integer model" "a zero anchor in the region head (detect)" "$ifq" detect --model i-anchor.ifqi ok.png
try "integer model" "detector output entry says is_levels (the head is not levels)" \
  sh -c "perl -0777 -pe 's/\\\\\"is_levels\\\\\":false/\\\\\"is_levels\\\\\":true /' '$good_int' > lv.ifqi && '$ifq' detect --model lv.ifqi ok.png"
try "integer model" "a classifier (no region head) given to detect" "$ifq" detect --model "$seeds/int_model/op-fc-4.ifqi" ok.png
inspect_int "a directory" a-directory.ifqf

# ---- cfg files (ifq cfg-size FILE) -------------------------------------------
cfg() { put "$1.cfg" "$2"; try "cfg" "$3" "$ifq" cfg-size "$1.cfg"; }
cfg c-empty '' "empty file"
cfg c-no-net '[convolutional]\nfilters=4\nactivation=linear\n' "no [net] section"
cfg c-unknown-section '[net]\nwidth=8\nheight=8\nchannels=1\n[deconvolutional]\n' "unknown section"
cfg c-unknown-key '[net]\nwidth=8\nheight=8\nchannels=1\n[convolutional]\nfilters=4\nactivation=linear\nfliters=3\n' "misspelt key"
cfg c-nan '[net]\nwidth=8\nheight=8\nchannels=1\nlearning_rate=nan\n' "learning_rate=nan"
cfg c-neg '[net]\nwidth=8\nheight=8\nchannels=1\n[convolutional]\nfilters=-4\nactivation=linear\n' "negative filters"
cfg c-zero-size '[net]\nwidth=0\nheight=8\nchannels=1\n' "width 0"
cfg c-overflow '[net]\nwidth=99999999999999999999\nheight=8\nchannels=1\n' "width beyond int"
cfg c-huge '[net]\nwidth=16384\nheight=16384\nchannels=4096\n[convolutional]\nfilters=65536\nsize=64\nactivation=linear\n' \
  "a layer of 2^40 weights (limit 2^30)"
cfg c-no-activation '[net]\nwidth=8\nheight=8\nchannels=1\n[convolutional]\nfilters=4\n' "conv without activation"
cfg c-duplicate '[net]\nwidth=8\nheight=8\nchannels=1\n[convolutional]\nfilters=6\nduplicate=4\nactivation=linear\n' \
  "duplicate=4 does not divide filters=6"
cfg c-region '[net]\nwidth=8\nheight=8\nchannels=1\n[convolutional]\nfilters=5\nactivation=linear\n[region]\nnum=2\nclasses=1\ncoords=4\nanchors=1,1,2,2\n' \
  "region head with the wrong channel count"
cfg c-anchors '[net]\nwidth=8\nheight=8\nchannels=1\n[convolutional]\nfilters=6\nactivation=linear\n[region]\nnum=1\nclasses=1\ncoords=4\nanchors=-1,2\n' \
  "negative anchor"
cfg c-binary '[net]\nwidth=8\nheight=8\nchannels=1\n\0[convolutional]\n' "a NUL byte"
try "cfg" "a directory" "$ifq" cfg-size a-directory.ifqf

# ---- WIDER bbx_gt (ifq eval-wider --gt FILE) ---------------------------------
wider() { put "$1.txt" "$2"; try "WIDER bbx_gt" "$3" "$ifq" eval-wider --gt "$1.txt" --detections "$fixtures/fddb_detections.txt"; }
wider w-empty '' "empty file"
wider w-no-count 'a.jpg\n' "image line without a count"
wider w-bad-count 'a.jpg\nthree\n' "count is not a number"
wider w-neg-count 'a.jpg\n-2\n' "negative count"
wider w-huge-count 'a.jpg\n99999999999\n1 2 3 4 0 0 0 0 0 0\n' "count far beyond the lines"
wider w-short-face 'a.jpg\n1\n1 2 3\n' "face line with 3 numbers"
wider w-nan 'a.jpg\n1\nnan 2 3 4 0 0 0 0 0 0\n' "NaN coordinate"
wider w-neg-size 'a.jpg\n1\n1 2 -3 4 0 0 0 0 0 0\n' "negative width"
wider w-inf 'a.jpg\n1\n1 2 1e999 4 0 0 0 0 0 0\n' "infinite width"
wider w-binary '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' "binary bytes (a PNG header)"
try "WIDER bbx_gt" "truncated release file" sh -c "head -c 200 '$fixtures/wider_face_val_bbx_gt.txt' > wt.txt && '$ifq' eval-wider --gt wt.txt --detections '$fixtures/fddb_detections.txt'"
try "WIDER bbx_gt" "a missing file" "$ifq" eval-wider --gt missing.txt --detections "$fixtures/fddb_detections.txt"

# ---- FDDB ellipse lists (ifq eval-fddb --ellipses FILE) ------------------------
fddb() {
  put "$1.txt" "$2"
  try "FDDB ellipses" "$3" "$ifq" eval-fddb --ellipses "$1.txt" --detections "$fixtures/fddb_detections.txt" --images . --json
}
fddb e-empty '' "empty file"
fddb e-no-count 'img_1\n' "name without a count"
fddb e-bad-count 'img_1\nx\n' "count is not a number"
fddb e-neg-count 'img_1\n-1\n' "negative count"
fddb e-short 'img_1\n1\n10 5 0.1\n' "ellipse line with 3 numbers"
fddb e-nan 'img_1\n1\nnan 5 0.1 20 20 1\n' "NaN radius"
fddb e-neg-radius 'img_1\n1\n-10 5 0.1 20 20 1\n' "negative radius"
fddb e-inf 'img_1\n1\n10 5 inf 20 20 1\n' "infinite angle"
fddb e-missing-faces 'img_1\n3\n10 5 0.1 20 20 1\n' "count 3, one ellipse"
fddb e-binary '\0\1\2\3' "binary bytes"
try "FDDB ellipses" "a missing file" "$ifq" eval-fddb --ellipses missing.txt --detections "$fixtures/fddb_detections.txt" --images .

# ---- detection lists (ifq eval-fddb --detections FILE) -----------------------
dets() {
  put "$1.txt" "$2"
  try "detection list" "$3" "$ifq" eval-fddb --ellipses "$fixtures/FDDB-fold-01-ellipseList.txt" --detections "$1.txt" --images . --json
}
dets d-empty-name '\n1\n1 2 3 4 0.5\n' "empty image name"
dets d-bad-count 'img\nmany\n' "count is not a number"
dets d-short 'img\n1\n1 2 3 4\n' "detection without a score"
dets d-nan 'img\n1\n1 2 3 4 nan\n' "NaN score"
dets d-neg 'img\n1\n1 2 -3 4 0.5\n' "negative width"
dets d-missing 'img\n2\n1 2 3 4 0.5\n' "count 2, one detection"
dets d-extra 'img\n1\n1 2 3 4 0.5 7 8\n' "seven numbers on a detection line"
dets d-huge 'img\n4294967296\n' "count 2^32"
dets d-inf 'img\n1\n1 2 3 inf 0.5\n' "infinite height"
dets d-binary '\xff\xfe\0\0' "binary bytes"

# ---- dlib imglab XML (ifq eval-fddb --imglab FILE) ---------------------------
imglab() {
  put "$1.xml" "$2"
  try "imglab XML" "$3" "$ifq" eval-fddb --imglab "$1.xml" --detections "$fixtures/fddb_detections.txt" --images . --json
}
imglab x-empty '' "empty file"
imglab x-not-xml 'hello' "not XML"
imglab x-unclosed "<dataset><images><image file='a.jpg'><box top='1' left='2' width='3' height='4'/>" "unclosed elements"
imglab x-no-file "<dataset><images><image><box top='1' left='2' width='3' height='4'/></image></images></dataset>" "image without file="
imglab x-nan "<dataset><images><image file='a.jpg'><box top='1' left='2' width='nan' height='4'/></image></images></dataset>" "width='nan'"
imglab x-neg "<dataset><images><image file='a.jpg'><box top='1' left='2' width='-3' height='4'/></image></images></dataset>" "negative width"
imglab x-missing-attr "<dataset><images><image file='a.jpg'><box top='1' left='2' height='4'/></image></images></dataset>" "box without width"
imglab x-text "<dataset><images><image file='a.jpg'><box top='one' left='2' width='3' height='4'/></image></images></dataset>" "top='one'"
imglab x-quote "<dataset><images><image file='a.jpg><box top='1'/></image></images></dataset>" "unterminated quote"
imglab x-huge "<dataset><images><image file='a.jpg'><box top='1' left='2' width='1e400' height='4'/></image></images></dataset>" "width 1e400"
try "imglab XML" "a missing file" "$ifq" eval-fddb --imglab missing.xml --detections "$fixtures/fddb_detections.txt" --images .

# ---- OpenCV .vec (ifq facegen --faces FILE) ----------------------------------
vec() { put "$1.vec" "$2"; try "OpenCV .vec" "$3" "$ifq" facegen --faces "$1.vec" --backgrounds ok.png --out-dir gen --count 1; }
vec v-empty '' "empty file"
vec v-short '\1\0\0\0' "4 bytes (header cut)"
vec v-zero-count '\0\0\0\0\4\0\0\0\0\0\0\0' "0 samples"
vec v-neg-count '\377\377\377\377\4\0\0\0\0\0\0\0' "count -1"
vec v-huge-count '\377\377\377\177\4\0\0\0\0\0\0\0' "count 2^31-1 with no data"
vec v-zero-size '\1\0\0\0\0\0\0\0\0\0\0\0' "vecsize 0"
vec v-neg-size '\1\0\0\0\377\377\377\377\0\0\0\0' "vecsize -1"
vec v-not-square '\1\0\0\0\3\0\0\0\0\0\0\0\0\1\0\2\0\3\0' "vecsize 3 (not a square)"
vec v-huge-size '\1\0\0\0\377\377\377\177\0\0\0\0' "vecsize 2^31-1"
try "OpenCV .vec" "truncated sample" "$ifq" facegen --faces "$fixtures/truncated.vec" --backgrounds ok.png --out-dir gen --count 1
try "OpenCV .vec" "a PNG image" "$ifq" facegen --faces ok.png --backgrounds ok.png --out-dir gen --count 1

# ---- images (ifq detect IMAGE) -----------------------------------------------
image() { try "image" "$1" "$ifq" detect --model "$good_int" "$2" --out-dir det; }
put p-empty.jpg ''
image "empty file" p-empty.jpg
put p-text.jpg 'this is not an image\n'
image "text named .jpg" p-text.jpg
put p-zero.ppm 'P6\n0 10\n255\n'
image "PNM width 0" p-zero.ppm
put p-neg.ppm 'P6\n10 -5\n255\n'
image "PNM height -5" p-neg.ppm
put p-maxval0.ppm 'P6\n2 2\n0\n\0\0\0\0\0\0\0\0\0\0\0\0'
image "PNM maxval 0" p-maxval0.ppm
put p-trunc.ppm 'P6\n4 4\n255\n\1\2\3'
image "PNM pixels truncated" p-trunc.ppm
put p-huge.ppm 'P6\n100000 100000\n255\n'
image "PNM header 100000 x 100000 (limit 2^28 pixels)" p-huge.ppm
head_bytes "$good_png" 60 p-trunc.png
image "PNG truncated" p-trunc.png
perl -0777 -pe 'substr($_, 16, 4) = pack("N", 0x7fffffff)' "$good_png" > "$tmp/p-wide.png"
image "PNG header width 2^31-1" p-wide.png
head_bytes "$good_jpg" 300 p-trunc.jpg
image "JPEG truncated" p-trunc.jpg
perl -0777 -pe 'substr($_, 200, 40) = "\xff" x 40' "$good_jpg" > "$tmp/p-damaged.jpg"
image "JPEG with 40 bytes of 0xff in its data" p-damaged.jpg
head_bytes "$seeds/image/one-pixel.gif" 20 p-trunc.gif
image "GIF truncated" p-trunc.gif
perl -0777 -pe 'substr($_, 18, 8) = pack("l<l<", 1000000, 1000000)' "$seeds/image/colour.bmp" > "$tmp/p-huge.bmp"
image "BMP header 10^6 x 10^6" p-huge.bmp
image "JPEG Huffman table of more than 256 codes (overflows stb's table)" "$PWD/fuzz/regressions/image-jpeg-huffman-overflow"
image "730-byte JPEG claiming 2567 x 48133 pixels (decompression bomb)" "$PWD/fuzz/regressions/image-jpeg-decompression-bomb"
image "190-byte TGA claiming 8224 x 8224 pixels (stb guesses TGA; ifq reads no TGA)" "$PWD/fuzz/regressions/image-tga-decompression-bomb"
image "167-byte PNG whose IDAT claims about 1 GB (stb allocated 2 GiB)" "$PWD/fuzz/regressions/image-png-chunk-length"
image "56-byte top-down BMP (negative height) of 90 x 655356 pixels" "$PWD/fuzz/regressions/image-bmp-negative-height"
image "a directory" a-directory.ifqf
image "a missing file" missing.jpg

# ---- command-line flags --------------------------------------------------------
flag() { local what=$1; shift; try "flags" "$what" "$ifq" "$@"; }
flag "no subcommand"
flag "unknown subcommand" fly
flag "unknown flag" detect ok.png --fast
flag "--threshold nan" detect ok.png --threshold nan
flag "--nms nan" detect ok.png --nms nan
flag "--threshold 2 (outside 0..1)" detect ok.png --threshold 2
flag "--input-size 0x0" detect ok.png --input-size 0x0
flag "--input-size 99999x2" detect ok.png --input-size 99999x2
flag "--input-size abc" detect ok.png --input-size abc
flag "--tiles 99" detect ok.png --tiles 99
flag "--scales 1,,2" detect ok.png --scales 1,,2
flag "--scales 0" detect ok.png --scales 0
flag "--merge max" detect ok.png --merge max
flag "face-benchmark --scales 1+flop (not SCALES[+flip][/MERGE][@SIZE])" face-benchmark --set "p=$fixtures/wider_face_val_bbx_gt.txt" --haar --scales 1+flop
flag "face-benchmark --bootstrap -5" face-benchmark --set "p=$fixtures/wider_face_val_bbx_gt.txt" --haar --bootstrap=-5
flag "--runtime gpu" detect ok.png --runtime gpu
flag "--iou nan" eval-wider --gt "$fixtures/wider_face_val_bbx_gt.txt" --detections "$fixtures/fddb_detections.txt" --iou nan
flag "--count 0" facegen --faces "$fixtures/two_samples_2x2.vec" --backgrounds ok.png --out-dir gen --count 0
flag "--min-faces 100000000 --max-faces 100000000" facegen --faces "$fixtures/two_samples_2x2.vec" --backgrounds ok.png --out-dir gen --min-faces 100000000 --max-faces 100000000
flag "--separated 99" convert --in "$good_float" --out out.ifqi --separated 99
flag "--input 0x5" convert --in "$good_float" --out out.ifqi --input 0x5
flag "missing required --out" convert --in "$good_float"
flag "an empty argument, then an unknown flag (CLI11 2.1.2 looped forever)" eval-fddb "" --foo
flag "--size 1e9" cfg-size "$seeds/cfg/tiny-detector.cfg" --size 1e9

# ---- box styles (ifq detect --box-style FILE, ifq fit-box-style) ---------------
put bs-text.json 'dx 0 dy 0'
put bs-format.json '{"dx": 0, "dy": 0, "sw": 1, "sh": 1}'
put bs-number.json '{"format": 5, "dx": 0, "dy": 0, "sw": 1, "sh": 1}'
put bs-null.json '{"format": "ifq-box-style", "dx": null, "dy": 0, "sw": 1, "sh": 1}'
put bs-zero.json '{"format": "ifq-box-style", "dx": 0, "dy": 0, "sw": 0, "sh": 1}'
put bs-huge.json '{"format": "ifq-box-style", "dx": 0, "dy": 0, "sw": 1e999, "sh": 1}'
for f in text:"not JSON" format:"JSON without the ifq-box-style format" number:"format 5" null:"dx null" zero:"a scale of 0" huge:"a scale of 1e999"; do
  try "box style" "${f#*:}" "$ifq" detect --model "$good_int" --box-style "bs-${f%%:*}.json" --fddb-out d.txt ok.png
done
put bs-ok.json '{"format": "ifq-box-style", "dx": 0, "dy": 0, "sw": 1, "sh": 1}'
flag "face-benchmark --box-style for a label no --detector has" face-benchmark --set "p=$fixtures/wider_face_val_bbx_gt.txt" --detector "a=$good_int" --box-style b=bs-ok.json
flag "--fddb-ellipses without --fddb-out" detect --model "$good_int" --fddb-ellipses ok.png
flag "fit-box-style --min-iou 0" fit-box-style --model "$good_int" --set "$fixtures/wider_face_val_bbx_gt.txt" --out s.json --min-iou 0
put bs-gt.txt 'ok.png\n1\n1 1 4 4 0 0 0 0 0 0\n'
try "box style" "fit-box-style on a photo no detection matches" "$ifq" fit-box-style --model "$good_int" --set bs-gt.txt --out s.json

# ---- data-parallel training and its tools (ifq train --dist-backend, ifq launch, ifq model-diff)
try "model pair" "model-diff of two different networks" "$ifq" model-diff "$good_float" "$PWD/models/fashion-hwgq-k2.ifqf"
try "model pair" "model-diff given an integer model" "$ifq" model-diff "$good_int" "$good_float"
try "launcher" "ifq launch of a program that does not exist" "$ifq" launch --nproc 2 -- /nonexistent/program
try "launcher" "ifq launch with --nproc 0" "$ifq" launch --nproc 0 -- true
dist_train=("$ifq" train --cfg "$seeds/cfg/tiny-detector.cfg" --steps 1 --out m.ifqf --dist-backend gloo)
try "launcher environment" "--dist-backend without RANK / WORLD_SIZE" env -u RANK -u WORLD_SIZE -u MASTER_ADDR -u MASTER_PORT "${dist_train[@]}"
try "launcher environment" "RANK=5 with WORLD_SIZE=2" env RANK=5 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29511 "${dist_train[@]}"
try "launcher environment" "MASTER_PORT=http" env RANK=0 WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=http "${dist_train[@]}"
try "launcher environment" "--dist-backend mpi" "$ifq" train --cfg "$seeds/cfg/tiny-detector.cfg" --out m.ifqf --dist-backend mpi

# ---- weight quantizers (issue 13: ifq train --weight-quant, ifq bench --weight-bits, ifq study)
fashion_cfg=$PWD/models/fashion-hwgq.cfg
flag "--weight-quant bogus" train --cfg "$fashion_cfg" --out m.ifqf --weight-quant bogus
flag "--weight-bits 9" train --cfg "$fashion_cfg" --out m.ifqf --weight-quant zero-centred --weight-bits 9
flag "--retrain-rounds 0" train --cfg "$fashion_cfg" --out m.ifqf --weight-quant zero-centred --retrain-rounds 0
flag "--step-rule bogus" train --cfg "$fashion_cfg" --out m.ifqf --step-rule bogus
flag "--steps 0 without --init and --precise-bn" train --cfg "$fashion_cfg" --out m.ifqf --steps 0
flag "--precise-bn 0" train --cfg "$fashion_cfg" --out m.ifqf --precise-bn 0
flag "--ema 1" train --cfg "$fashion_cfg" --out m.ifqf --ema 1
flag "--last-step-out without --ema" train --cfg "$fashion_cfg" --out m.ifqf --last-step-out l.ifqf
flag "--ema with --precise-bn" train --cfg "$fashion_cfg" --out m.ifqf --steps 1 --ema 0.999 --precise-bn 2
flag "--distill-weight without --distill-from" train --cfg "$fashion_cfg" --out m.ifqf --distill-weight 1
flag "--distill-from on a classifier" train --cfg "$fashion_cfg" --out m.ifqf --distill-from "$good_float"
flag "--distill-weight -1" train --cfg "$seeds/cfg/tiny-detector.cfg" --out m.ifqf --distill-from "$good_float" --distill-weight=-1
flag "bench --isa avx1024" bench --isa avx1024 --no-peers
try "launcher environment" "--step-rule with --dist-backend gloo" env RANK=0 WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=29512 \
  "$ifq" train --cfg "$fashion_cfg" --steps 1 --out m.ifqf --dist-backend gloo --step-rule piecewise-gaussian
flag "bench --weight-bits on a model file" bench --model "$good_float" --weight-bits 4 --no-peers
flag "bench --weight-bits 9" bench --weight-bits 9 --no-peers
flag "study without a subject" study
flag "study quantizers --steps 0" study quantizers --steps 0
# A 4-bit fixed-weight float model (version 3) whose graph claims 9 bits.
if "$ifq" train --cfg "$fashion_cfg" --steps 1 --out "$tmp/fixed.ifqf" --weight-quant zero-centred --weight-bits 4 \
     --no-progress --no-test > /dev/null 2>&1; then
  edit "$tmp/fixed.ifqf" f-fixed-bits.ifqf 's/\\"weight_bits\\":4/\\"weight_bits\\":9/'
  convert_in "fixed weights claiming 9 bits" f-fixed-bits.ifqf
fi

# ---- the table -----------------------------------------------------------------
mkdir -p "$(dirname "$table")"
{
  echo "# Bad-input campaign"
  echo
  echo "Written by \`scripts/bad-input-campaign.sh\` (also run by ctest as"
  echo "\`Hardening.BadInputCampaign\`): each row is one damaged or hostile input"
  echo "given to the \`ifq\` command that reads it. Every row must end in a clear"
  echo "\`ifq: error:\` and a non-zero exit, within 60 s, without a signal; the"
  echo "message column is the most specific line the user sees (\`ifq detect\`"
  echo "names the reason for each image it skips). ${#rows[@]} cases, $failures failures."
  echo
  echo "| input kind | case | outcome | message |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$table"
echo "bad-input: ${#rows[@]} cases, $failures failures (table: $table)"
[[ $failures -eq 0 ]]
