#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan in build-fuzz and runs each
# for SECONDS (default 30) from a seed corpus written by the project's own writers, plus the saved
# crash regressions of tests/data/fuzz_regressions/<target>/. Prints the executions per target
# (libFuzzer's stat::number_of_executed_units) and exits non-zero if any target found a crash,
# a leak, a timeout or an allocation over the limits below; the input that did it is saved under
# build-fuzz/artifacts/ (turn it into a regression test: docs/reliability.md).
#   tools/fuzz.sh [SECONDS] [TARGET...]     TARGET: image nifti safetensors train_config checkpoint dicom
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-30}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(image nifti safetensors train_config checkpoint dicom)
BUILD=${BUILD_DIR:-build-fuzz}

# The same configuration as the sanitizer suite's clang build (tools/sanitize.sh --fuzz), so CI
# builds the engine once for both; only the fuzz targets are built here.
BUILD_DIR=$BUILD tools/sanitize.sh --fuzz --no-test --target fuzzers || exit 2

rm -rf "$BUILD/seeds"
"$BUILD/bin/fuzz_make_seeds" "$BUILD/seeds" >/dev/null || exit 2
mkdir -p "$BUILD/artifacts" "$BUILD/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Known leaks inside system libraries (GDCM), each explained in the file.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0}
export OMP_NUM_THREADS=1
# A fixed seed makes a run from an empty corpus replay the same inputs (CI starts from the seeds
# alone): a run here of N seconds covers what CI's shorter run will try, so a clean local run
# of the same commit predicts a clean CI. FUZZ_SEED=0 lets libFuzzer pick a random seed.
FUZZ_SEED=${FUZZ_SEED:-1}

status=0
printf '%-14s %12s %8s %s\n' target executions corpus result
for t in "${TARGETS[@]}"; do
  bin="$BUILD/bin/fuzz_$t"
  corpus="$BUILD/corpus/$t"
  mkdir -p "$corpus"
  log="$BUILD/logs/$t.log"
  maxlen=65536
  [ "$t" = checkpoint ] && maxlen=1048576
  # Saved crashes first: each must now run clean.
  reg=tests/data/fuzz_regressions/$t
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
    if ! "$bin" -rss_limit_mb=2048 -malloc_limit_mb=1024 "$reg"/* >"$log.regressions" 2>&1; then
      printf '%-14s %12s %8s %s\n' "$t" - - "REGRESSION FAILED (see $log.regressions)"
      status=1
      continue
    fi
  fi
  "$bin" "$corpus" "$BUILD/seeds/$t" -max_total_time="$SECONDS_EACH" -seed="$FUZZ_SEED" -print_final_stats=1 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 -max_len="$maxlen" \
    -artifact_prefix="$BUILD/artifacts/$t-" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  units=$(ls "$corpus" | wc -l)
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result="FAILED rc=$rc: $(grep -m1 -E 'ERROR|SUMMARY|out-of-memory|timeout' "$log" | cut -c1-100) (log: $log)"
    status=1
  fi
  printf '%-14s %12s %8s %s\n' "$t" "${execs:-?}" "$units" "$result"
done
exit $status
