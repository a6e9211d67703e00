#!/usr/bin/env bash
# Runs every benchmark executable found in BUILD_DIR/bin and prints their tables; the
# whole output is also saved to BUILD_DIR/bench-results.txt. `make bench` calls this.
#
#   scripts/run-benchmarks.sh BUILD_DIR [extra args passed to no one]
#
# bench_scalapack runs under mpirun with 1 and 2 ranks; the others run plainly.
# bench_forward and bench_rss make their random checkpoints (make-checkpoint --like gpt2,
# --like llama-3.2-1b --dtype bf16; 0.55 GB and 2.5 GB) under $LOGITRANK_BENCH_SCRATCH
# (default /tmp/logitrank-bench) on first use and reuse them afterwards.
set -u -o pipefail

BUILD="${1:-build}"
BIN="$BUILD/bin"
OUT="$BUILD/bench-results.txt"
SCRATCH="${LOGITRANK_BENCH_SCRATCH:-/tmp/logitrank-bench}"
if [ ! -d "$BIN" ]; then
  echo "run-benchmarks: $BIN: no such folder (build first: make build)" >&2
  exit 2
fi
MPIRUN="${MPIRUN:-mpirun}"
MPIRUN_FLAGS=(--oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] && MPIRUN_FLAGS+=(--allow-run-as-root)

failures=0
run() {  # run LABEL CMD...
  local label="$1"
  shift
  echo
  echo "### $label"
  echo "\$ $*"
  local t0=$SECONDS
  "$@"
  local rc=$?
  echo "(exit $rc, $((SECONDS - t0)) s)"
  [ $rc -ne 0 ] && failures=$((failures + 1))
  return 0
}

{
  echo "# logitrank benchmarks  $(date -u '+%Y-%m-%d %H:%M UTC')  $(uname -n)"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  ran=0
  # The known ones first, in a fixed order; then any other bench_* executable.
  for name in bench_spectra bench_scalapack bench_tokenize bench_forward bench_rss; do
    exe="$BIN/$name"
    [ -x "$exe" ] || continue
    ran=$((ran + 1))
    case "$name" in
      bench_scalapack)
        run "$name (mpirun -np 1)" "$MPIRUN" "${MPIRUN_FLAGS[@]}" -np 1 "$exe"
        run "$name (mpirun -np 2)" "$MPIRUN" "${MPIRUN_FLAGS[@]}" -np 2 "$exe"
        ;;
      bench_forward)
        run "$name" "$exe" --scratch "$SCRATCH"
        # One core each for the forward and sgemm: the ratio is less sensitive to other load.
        run "$name (OPENBLAS_NUM_THREADS=1)" env OPENBLAS_NUM_THREADS=1 "$exe" --scratch "$SCRATCH" --reps 3
        ;;
      bench_rss)
        run "$name" "$exe" --scratch "$SCRATCH"
        ;;
      *)
        run "$name" "$exe"
        ;;
    esac
  done
  for exe in "$BIN"/bench_*; do
    [ -x "$exe" ] && [ -f "$exe" ] || continue
    case "$(basename "$exe")" in
      bench_spectra | bench_scalapack | bench_tokenize | bench_forward | bench_rss) continue ;;
    esac
    ran=$((ran + 1))
    run "$(basename "$exe")" "$exe"
  done
  echo
  echo "# $ran benchmark executables, $failures failed runs"
  [ "$ran" -gt 0 ] || echo "run-benchmarks: no bench_* executables in $BIN" >&2
} 2>&1 | tee "$OUT"
status=${PIPESTATUS[0]}
echo "saved to $OUT" >&2
if grep -q '^# 0 benchmark executables' "$OUT" || ! grep -q ', 0 failed runs$' "$OUT"; then
  exit 1
fi
exit "$status"
