#!/usr/bin/env bash
# Builds everything that needs no LibTorch with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang, into build-sanitize/) and runs that
# build's whole test suite under them. Any sanitizer report aborts the test
# that triggered it (halt_on_error, -fno-sanitize-recover), so the run fails.
# LibTorch is not built with sanitizers: the trainer and its tests are left
# out (ctest lists them as Skipped.trainer). The same build holds the
# libFuzzer harnesses that scripts/fuzz.sh runs.
#   usage: scripts/sanitize.sh            (IFQ_JOBS: parallel jobs, default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-sanitize
jobs=${IFQ_JOBS:-2}
start=$SECONDS
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DIFQ_SANITIZE=address,undefined -DIFQ_BUILD_FUZZERS=ON -DIFQ_BUILD_TRAINER=OFF -DIFQ_BUILD_BENCH=OFF > /dev/null
cmake --build "$dir" -j "$jobs"
built=$SECONDS
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir "$dir" --output-on-failure -j "$jobs"
echo "sanitize: ASan+UBSan suite passed (build $((built - start)) s, tests $((SECONDS - built)) s)"
