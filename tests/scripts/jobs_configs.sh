#!/usr/bin/env bash
# configs/*.yaml: every top-level key is documented by a comment; the paper configs parse
# (with no checkpoints present the run fails on the model path, never on a key); tiny.yaml
# and demo.yaml really run under mpirun -np 2 and report.
# Usage: bash jobs_configs.sh LOGITRANK_BIN DATA_DIR MPIRUN MPIRUN_FLAGS...
set -euo pipefail
BIN=$(realpath "$1")
DATA=$(realpath "$2")
MPIRUN=$3
shift 3
FLAGS=("$@")
export LOGITRANK_DATA=$DATA
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }

CONFIGS=(gpt2 llama-3.2-1b llama-3.2-3b qwen2.5-3b mistral-7b paper demo tiny)
for c in "${CONFIGS[@]}"; do
  f=configs/$c.yaml
  [ -f "$f" ] || fail "$f missing"
  # Each top-level key is preceded by a comment line (possibly after other keys' comments).
  awk -v f="$f" '
    /^[a-z_]+:/ { if (prev !~ /^#/ && prev !~ /^[a-z_]+:/) { print f ": key without a comment: " $0; bad = 1 } }
    { prev = $0 }  # a key needs a comment right above it, or a key of the same commented block
    END { exit bad }' "$f" || fail "$f has an undocumented key"
done
ok "${#CONFIGS[@]} configs, every key commented"

# Paper configs: no checkpoints in an empty LOGITRANK_MODELS -> exit 2 naming the model folder.
mkdir -p "$WORK/models"
declare -A FOLDER=([gpt2]=gpt2 [llama-3.2-1b]=Llama-3.2-1B [llama-3.2-3b]=Llama-3.2-3B [qwen2.5-3b]=Qwen2.5-3B
                   [mistral-7b]=Mistral-7B-v0.1 [paper]=gpt2)
for c in gpt2 llama-3.2-1b llama-3.2-3b qwen2.5-3b mistral-7b paper; do
  set +e
  LOGITRANK_MODELS=$WORK/models LOGITRANK_RESULTS=$WORK/res "$BIN" run --config "configs/$c.yaml" >"$WORK/$c.log" 2>&1
  rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$WORK/$c.log"; fail "configs/$c.yaml: exit $rc (expected 2: model missing)"; }
  grep -q "$WORK/models/${FOLDER[$c]}" "$WORK/$c.log" || { cat "$WORK/$c.log"; fail "configs/$c.yaml: error does not name the model folder"; }
  ! grep -qi "unknown key" "$WORK/$c.log" || { cat "$WORK/$c.log"; fail "configs/$c.yaml: unknown key"; }
done
ok "paper configs parse; a missing checkpoint is named"

# tiny and demo run for real.
export LOGITRANK_RESULTS=$WORK/res
"$MPIRUN" "${FLAGS[@]}" -np 2 "$BIN" run --config configs/tiny.yaml >"$WORK/tiny.log" 2>&1 || { cat "$WORK/tiny.log"; fail "tiny run"; }
[ "$(($(wc -l <"$WORK/res/tiny/heads.csv") - 1))" -eq $((2 * 4 + 3 * 8 + 2 * 4 + 2 * 4)) ] || fail "tiny: expected 48 rows"
"$MPIRUN" "${FLAGS[@]}" -np 2 "$BIN" run --config configs/demo.yaml >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; fail "demo run"; }
# gpt2-mini: 4 layers x 4 heads, llama-mini: 4 x 8; 3 texts x 2 windows each.
[ "$(grep -c '^gutenberg-gpt2-mini,' "$WORK/res/demo/heads.csv")" -eq 96 ] || fail "demo: gpt2-mini rows"
[ "$(grep -c '^gutenberg-llama-mini,' "$WORK/res/demo/heads.csv")" -eq 192 ] || fail "demo: llama-mini rows"
grep -q '^gutenberg-gpt2-mini,dracula,1,3,3,' "$WORK/res/demo/heads.csv" || fail "demo: dracula window 1 layer 3 head 3"
[ -s "$WORK/res/demo/softmax.csv" ] || fail "demo: softmax.csv"
"$BIN" report "$WORK/res/demo" --no-figures >/dev/null || fail "demo report"
grep -q '^| gutenberg-llama-mini | 32 (192 rows) | 16 |' "$WORK/res/demo/summary.md" || fail "demo summary row"
ok "tiny.yaml and demo.yaml run (mpirun -np 2) and report"

echo "$passed passed, 0 failed"
[ "$passed" -eq 3 ]
