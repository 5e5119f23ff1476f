#!/usr/bin/env bash
# Cross-builds ifq_core + ifq_kernels + the kernel tests for AArch64 (Debian's
# g++-aarch64-linux-gnu, GoogleTest from /usr/src/googletest) in build-aarch64
# and runs them under qemu-user: every kernel of the portable and NEON paths
# and whole fast-runtime networks, bit for bit against the reference ops and
# ReferenceRuntime. Exits 77 (skipped) when the cross compiler, qemu-aarch64,
# cmake, ninja or the GoogleTest sources are missing.
#
#   scripts/test-aarch64.sh            build (incremental) + kernel tests
#   IFQ_AARCH64_INSN=1 scripts/test-aarch64.sh
#                                      also: instructions per image of
#                                      IFQ-Tinier-YOLO 416x416 (qemu plugin)
# Environment: IFQ_AARCH64_BUILD (build dir, default <repo>/build-aarch64),
# IFQ_AARCH64_JOBS (ninja -j, default 1), IFQ_AARCH64_GTEST_FILTER.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${IFQ_AARCH64_BUILD:-$root/build-aarch64}
jobs=${IFQ_AARCH64_JOBS:-1}
sysroot=/usr/aarch64-linux-gnu
gtest_src=${IFQ_GTEST_SOURCE_DIR:-/usr/src/googletest}

for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-gcc qemu-aarch64 cmake ninja; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skipped: $tool not found (scripts/setup.sh installs g++-aarch64-linux-gnu and qemu-user)"
    exit 77
  fi
done
for dir in "$sysroot" "$gtest_src/googletest"; do
  [ -d "$dir" ] || { echo "skipped: $dir not found"; exit 77; }
done

if [ ! -f "$build/build.ninja" ]; then
  nice -n 19 cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
    -DCMAKE_BUILD_TYPE=Release \
    -DIFQ_KERNELS_ONLY=ON \
    -DIFQ_GTEST_SOURCE_DIR="$gtest_src"
fi
targets=(ifq_kernels_tests ifq_aarch64_fast_check)
nice -n 19 ninja -C "$build" -j"$jobs" "${targets[@]}"

qemu=(qemu-aarch64 -L "$sysroot")
echo "== kernel tests (portable + neon paths) under $(qemu-aarch64 --version | head -1)"
"${qemu[@]}" "$build/tests/kernels/ifq_kernels_tests" --gtest_brief=1 \
  ${IFQ_AARCH64_GTEST_FILTER:+--gtest_filter="$IFQ_AARCH64_GTEST_FILTER"}

echo "== IFQ-Tinier-YOLO 416x416: fast runtime (neon, portable) vs ReferenceRuntime"
model="$root/models/ifq-tinier-yolo-face.ifqi"
"${qemu[@]}" "$build/tests/kernels/ifq_aarch64_fast_check" "$model" compare

if [ "${IFQ_AARCH64_INSN:-0}" = 1 ]; then
  plugin="$build/libifq_insn_count.so"
  src="$root/tests/kernels/aarch64/insn_count_plugin.c"
  if [ ! -f "$plugin" ] || [ "$src" -nt "$plugin" ]; then
    nice -n 19 cc -O2 -shared -fPIC -o "$plugin" "$src"
  fi
  echo "== guest instructions per image (qemu plugin $plugin; images 2 minus 1, one thread)"
  for isa in neon portable; do
    c1=$("${qemu[@]}" -plugin "$plugin" -d plugin "$build/tests/kernels/ifq_aarch64_fast_check" "$model" run "$isa" 1 2>&1 | sed -n 's/^insns: //p')
    c2=$("${qemu[@]}" -plugin "$plugin" -d plugin "$build/tests/kernels/ifq_aarch64_fast_check" "$model" run "$isa" 2 2>&1 | sed -n 's/^insns: //p')
    echo "$isa: $((c2 - c1)) instructions per image (process totals $c1 for 1 image, $c2 for 2)"
  done
fi
