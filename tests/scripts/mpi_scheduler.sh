#!/usr/bin/env bash
# The dynamic scheduler across ranks: runs the SchedulerMpi GoogleTests of test_dist (built
# beside the logitrank binary) under mpirun -np 3 and -np 2. Every rank must pass.
# Usage: mpi_scheduler.sh LOGITRANK_BIN DATA_DIR MPIRUN [MPIRUN_FLAGS...]
set -u -o pipefail
BIN="$1"
MPIRUN="$3"
shift 3
FLAGS=("$@")
TEST="$(dirname "$BIN")/test_dist"
[ -x "$TEST" ] || { echo "FAIL: $TEST not built" >&2; exit 1; }
fails=0
for np in 3 2; do
  out="$("$MPIRUN" "${FLAGS[@]}" -np $np "$TEST" --gtest_color=no --gtest_filter='SchedulerMpi.*' 2>&1)"
  rc=$?
  passed=$(grep -c '^\[  PASSED  \] 3 tests' <<<"$out")
  if [ "$rc" -ne 0 ] || [ "$passed" -ne "$np" ]; then
    echo "FAIL: -np $np: exit $rc, $passed of $np ranks passed all 3 tests" >&2
    echo "$out" | grep -E 'Failure|FAILED|Expected|Which|actual' | head -20 >&2
    fails=$((fails + 1))
  fi
done
[ "$fails" -eq 0 ] || exit 1
echo "mpi_scheduler: OK"
