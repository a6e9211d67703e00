#!/usr/bin/env bash
# `logitrank run` gives byte-identical heads.csv, spectra.safetensors, summary.json, summary.md
# and softmax.csv whatever the number of ranks: plain single process, mpirun -np 1, 2 and 3.
# Inputs: every fixture's golden.safetensors (--qk, with --softmax-check), and a small trained
# checkpoint on two texts x two windows (forward pass + weight spectra).
# Usage: mpi_byte_identical.sh LOGITRANK_BIN DATA_DIR MPIRUN [MPIRUN_FLAGS...]
set -u -o pipefail
BIN="$1"
DATA="$2"
MPIRUN="$3"
shift 3
FLAGS=("$@")
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

QK=()
for f in "$DATA"/fixtures/*/golden.safetensors; do
  [ -f "$f" ] && QK+=(--qk "$f")
done
[ "${#QK[@]}" -ge 8 ] || { echo "FAIL: expected >= 4 fixtures under $DATA/fixtures, found $((${#QK[@]} / 2))" >&2; exit 1; }
MODEL="$DATA/models/gutenberg-gpt2-mini"
[ -d "$MODEL" ] || { echo "FAIL: missing $MODEL" >&2; exit 1; }

# run NAME LAUNCHER... -- ARGS...
run_case() {
  local name="$1" out="$TMP/$1"
  shift
  local launcher=()
  while [ "$1" != "--" ]; do launcher+=("$1"); shift; done
  shift
  if ! "${launcher[@]}" "$BIN" run "$@" --out "$out" >"$TMP/$name.log" 2>&1; then
    fail "$name: exited $? ($(tail -n 3 "$TMP/$name.log" | tr '\n' ' '))"
  fi
}

compare() {  # compare SET FILES...
  local set="$1"
  shift
  for f in "$@"; do
    [ -s "$TMP/$set.single/$f" ] || { fail "$set.single/$f missing or empty"; continue; }
    for np in 1 2 3; do
      if ! cmp -s "$TMP/$set.single/$f" "$TMP/$set.np$np/$f"; then
        fail "$set: $f differs between a single process and mpirun -np $np"
        cmp "$TMP/$set.single/$f" "$TMP/$set.np$np/$f" >&2
      fi
    done
  done
}

run_case qk.single -- "${QK[@]}" --softmax-check
for np in 1 2 3; do run_case qk.np$np "$MPIRUN" "${FLAGS[@]}" -np $np -- "${QK[@]}" --softmax-check; done
compare qk heads.csv spectra.safetensors summary.json summary.md softmax.csv

TEXTS=(--text "$DATA/texts/alice_in_wonderland.txt" --text "$DATA/texts/frankenstein.txt")
run_case model.single -- --model "$MODEL" "${TEXTS[@]}" --seq-len 64 --windows 2 --stride 32
for np in 1 2 3; do
  run_case model.np$np "$MPIRUN" "${FLAGS[@]}" -np $np -- --model "$MODEL" "${TEXTS[@]}" --seq-len 64 --windows 2 --stride 32
done
compare model heads.csv spectra.safetensors summary.json summary.md

# The qk run must have selected something: 2+3+2+2+3 layers' heads, one row each.
rows=$(($(wc -l <"$TMP/qk.single/heads.csv") - 1))
[ "$rows" -gt 0 ] || fail "qk run wrote no rows"
mrows=$(($(wc -l <"$TMP/model.single/heads.csv") - 1))
[ "$mrows" -gt 0 ] || fail "model run wrote no rows"
grep -q '"ranks": 3' "$TMP/qk.np3/manifest.json" || fail "qk.np3/manifest.json does not say ranks 3"

if [ "$fails" -ne 0 ]; then
  echo "mpi_byte_identical: $fails failure(s)" >&2
  exit 1
fi
echo "mpi_byte_identical: OK ($rows qk rows, $mrows model rows, identical for 1 process and -np 1, 2, 3)"
