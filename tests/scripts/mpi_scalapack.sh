#!/usr/bin/env bash
# `logitrank run --method scalapack` (the one collective method: every rank calls the distributed
# SVD for every head, rank 0 broadcasting Q and K) on mpirun -np 1, 2 and 3 agrees with the exact
# factored method: same rows, same k80..k99 and numerical rank, erank/PR/stable rank within 1e-9.
# Inputs: two fixtures' golden.safetensors (--qk) and a small trained checkpoint on one text.
# Usage: mpi_scalapack.sh LOGITRANK_BIN DATA_DIR MPIRUN [MPIRUN_FLAGS...]
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

ARGS_QK=(--qk "$DATA/fixtures/tiny-llama/golden.safetensors" --qk "$DATA/fixtures/tiny-qwen2/golden.safetensors")
ARGS_MODEL=(--model "$DATA/models/gutenberg-gpt2-mini" --text "$DATA/texts/dracula.txt" --seq-len 48 --layers 0,2)
for f in "$DATA/fixtures/tiny-llama/golden.safetensors" "$DATA/models/gutenberg-gpt2-mini" "$DATA/texts/dracula.txt"; do
  [ -e "$f" ] || { echo "FAIL: missing $f" >&2; exit 1; }
done

for set in qk model; do
  if [ "$set" = qk ]; then args=("${ARGS_QK[@]}"); else args=("${ARGS_MODEL[@]}"); fi
  "$BIN" run "${args[@]}" --out "$TMP/$set.factored" >/dev/null 2>"$TMP/$set.factored.log" || fail "$set factored: exit $?"
  for np in 1 2 3; do
    out="$TMP/$set.scalapack.np$np"
    if ! "$MPIRUN" "${FLAGS[@]}" -np $np "$BIN" run "${args[@]}" --method scalapack --out "$out" >"$out.log" 2>&1; then
      fail "$set scalapack -np $np: exit $? ($(tail -n 3 "$out.log" | tr '\n' ' '))"
      continue
    fi
    python3 - "$TMP/$set.factored/heads.csv" "$out/heads.csv" <<'PY' || fail "$set scalapack -np $np differs from factored"
import csv, sys
a = list(csv.DictReader(open(sys.argv[1])))
b = list(csv.DictReader(open(sys.argv[2])))
if not a or len(a) != len(b):
    sys.exit(f"row counts {len(a)} vs {len(b)}")
ints = ["model", "text", "window", "layer", "head", "kv_head", "head_dim", "seq_len",
        "field_k80", "field_k90", "field_k95", "field_k99", "field_rank"]
for i, (x, y) in enumerate(zip(a, b)):
    for c in ints:
        if x[c] != y[c]:
            sys.exit(f"row {i}: {c} {x[c]} vs {y[c]}")
    for c in ["field_erank", "field_pr", "field_stable_rank"]:
        u, v = float(x[c]), float(y[c])
        if abs(u - v) > 1e-9 * abs(u):
            sys.exit(f"row {i}: {c} {u} vs {v}")
print(f"{len(a)} rows agree")
PY
  done
done

if [ "$fails" -ne 0 ]; then
  echo "mpi_scalapack: $fails failure(s)" >&2
  exit 1
fi
echo "mpi_scalapack: OK (scalapack on 1, 2, 3 ranks = factored)"
