#!/usr/bin/env bash
# Runs every libFuzzer harness of fuzz/ (docs/fuzzing.md) for SECONDS each,
# built with ASan+UBSan by scripts/sanitize.sh's configuration (build-sanitize/).
#   usage: scripts/fuzz.sh SECONDS [HARNESS...]      (default: all harnesses)
#   FUZZ_JOBS: harnesses run at once (default 1); FUZZ_SEED: libFuzzer's
#   random seed (default: a fresh one; CI passes a fixed one so its run
#   repeats).
# Each harness starts from its committed seeds (fuzz/corpus/NAME) plus the
# corpus earlier runs grew (results/fuzz/corpus/NAME, kept between runs), with
# its dictionary (fuzz/dict). One input running over 10 s is a hang; over
# 2 GiB of memory, a finding too. A finding's input is saved under
# results/fuzz/crashes/NAME/ and the script fails; copy it to
# fuzz/regressions/NAME-WHAT once fixed, so ctest replays it from then on.
# Prints per harness: executions, rate, edges covered, features, corpus size;
# writes results/fuzz/summary.json.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: scripts/fuzz.sh SECONDS [HARNESS...]}
shift
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "ifq: error: SECONDS must be a positive whole number, not '$seconds'" >&2; exit 2; }
dir=build-sanitize
harnesses=("$@")
if [[ ${#harnesses[@]} -eq 0 ]]; then
  mapfile -t harnesses < <(sed -n 's/^  "\([a-z_]*\):.*/\1/p' fuzz/CMakeLists.txt)
fi
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DIFQ_SANITIZE=address,undefined -DIFQ_BUILD_FUZZERS=ON -DIFQ_BUILD_TRAINER=OFF -DIFQ_BUILD_BENCH=OFF > /dev/null
cmake --build "$dir" -j "${IFQ_JOBS:-2}" --target "${harnesses[@]/#/fuzz_}"

export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
out=results/fuzz
mkdir -p "$out/logs"

run_one() {
  local name=$1
  local dict=()
  case $name in
    float_model | int_model) dict=(-dict=fuzz/dict/model.dict) ;;
    cfg | cli | imglab | image) dict=(-dict=fuzz/dict/$name.dict) ;;
  esac
  mkdir -p "$out/corpus/$name" "$out/crashes/$name"
  local seed=()
  [[ -n ${FUZZ_SEED:-} ]] && seed=(-seed="$FUZZ_SEED")
  local status=0
  "$dir/fuzz/fuzz_$name" "$out/corpus/$name" "fuzz/corpus/$name" "${dict[@]}" "${seed[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/crashes/$name/" > "$out/logs/$name.log" 2>&1 || status=$?
  local last execs rate
  last=$(grep -E '^#[0-9]+' "$out/logs/$name.log" | tail -1)
  # (a run that found something prints its final stats twice)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/logs/$name.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/logs/$name.log" | tail -1)
  local cov ft corp
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<< "$last")
  local crashes
  crashes=$(find "$out/crashes/$name" -type f | wc -l)
  printf '{"harness":"%s","seconds":%s,"executions":%s,"executions_per_second":%s,"edges":%s,"features":%s,"corpus":%s,"crash_files":%s,"exit":%s}\n' \
    "$name" "$seconds" "${execs:-0}" "${rate:-0}" "${cov:-0}" "${ft:-0}" "${corp:-0}" "$crashes" "$status" > "$out/logs/$name.json"
  printf 'fuzz: %-12s %10s runs %7s/s  edges %6s  features %6s  corpus %5s  exit %s%s\n' "$name" "${execs:-0}" \
    "${rate:-0}" "${cov:-0}" "${ft:-0}" "${corp:-0}" "$status" "$([[ $status -ne 0 ]] && echo "  FINDING: see $out/logs/$name.log")"
  return "$status"
}

echo "fuzz: ${#harnesses[@]} harnesses x $seconds s, ${FUZZ_JOBS:-1} at a time (logs: $out/logs)"
failed=0
running=0
for name in "${harnesses[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if [[ $running -ge ${FUZZ_JOBS:-1} ]]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [[ $running -gt 0 ]]; do
  wait -n || failed=1
  running=$((running - 1))
done
{
  echo "["
  first=1
  for name in "${harnesses[@]}"; do
    [[ $first -eq 1 ]] || echo ","
    first=0
    cat "$out/logs/$name.json"
  done
  echo "]"
} > "$out/summary.json"
if [[ $failed -ne 0 ]]; then
  echo "fuzz: FINDINGS (inputs under $out/crashes/)" >&2
  exit 1
fi
echo "fuzz: no findings ($out/summary.json)"
