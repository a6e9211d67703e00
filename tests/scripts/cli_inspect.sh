#!/usr/bin/env bash
# `logitrank inspect` and `logitrank make-checkpoint` at the command line.
# Usage: cli_inspect.sh LOGITRANK_BIN DATA_DIR [MPIRUN MPIRUN_FLAGS...]
set -u -o pipefail
BIN="$1"
DATA="$2"
FIX="$DATA/fixtures"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect_line OUTPUT_FILE EXACT_LINE
expect_line() { grep -qxF -- "$2" "$1" || { fail "$1: no line '$2'"; sed 's/^/    /' "$1" >&2; }; }

# --- inspect on fixtures ---
"$BIN" inspect "$FIX/tiny-llama" >"$TMP/llama.out" 2>"$TMP/llama.err" || fail "inspect tiny-llama exited $?"
for l in "family: llama" "architecture: LlamaForCausalLM" "layers: 3" "heads: 8" "kv_heads: 2" "hidden: 64" \
  "head_dim: 8" "intermediate: 128" "vocab: 300" "rope_theta: 500000" \
  "rope_scaling: llama3 factor 8 low_freq_factor 1 high_freq_factor 4 original_max_position_embeddings 8192" \
  "tie_embeddings: true" "storage_dtype: BF16" "tensors: 29" "dtypes: BF16 x 29"; do
  expect_line "$TMP/llama.out" "$l"
done

"$BIN" inspect "$FIX/tiny-gpt2" >"$TMP/gpt2.out" 2>&1 || fail "inspect tiny-gpt2 exited $?"
for l in "family: gpt2" "layers: 2" "heads: 4" "kv_heads: 4" "head_dim: 16" "dtypes: F32 x 30" "qkv_bias: true"; do
  expect_line "$TMP/gpt2.out" "$l"
done

"$BIN" inspect "$FIX/tiny-mistral" >"$TMP/mistral.out" 2>&1 || fail "inspect tiny-mistral exited $?"
for l in "family: mistral" "layers: 2" "heads: 4" "kv_heads: 1" "tie_embeddings: false" "sliding_window: 4096" "dtypes: F16 x 21"; do
  expect_line "$TMP/mistral.out" "$l"
done

"$BIN" inspect "$FIX/tiny-llama-sharded" >"$TMP/sharded.out" 2>&1 || fail "inspect tiny-llama-sharded exited $?"
expect_line "$TMP/sharded.out" "layers: 3"
expect_line "$TMP/sharded.out" "tensor_bytes: 248192 (0.000 GiB)"
expect_line "$TMP/sharded.out" "files: 4"

# --- inspect on a bare .safetensors file: the tensor list ---
"$BIN" inspect "$FIX/tiny-llama/golden.safetensors" >"$TMP/golden.out" 2>&1 || fail "inspect golden.safetensors exited $?"
expect_line "$TMP/golden.out" "  layer.0.q F64 [8, 24, 8]"
expect_line "$TMP/golden.out" "  layer.2.k F64 [2, 24, 8]"
expect_line "$TMP/golden.out" "  input_ids I64 [24]"

# --- a missing path: exit 2, one line on stderr, nothing on stdout ---
"$BIN" inspect "$TMP/no-such-checkpoint" >"$TMP/missing.out" 2>"$TMP/missing.err"
rc=$?
[ $rc -eq 2 ] || fail "inspect on a missing path exited $rc, expected 2"
[ "$(wc -l <"$TMP/missing.err")" -eq 1 ] || { fail "expected one stderr line"; cat "$TMP/missing.err" >&2; }
grep -q "no-such-checkpoint" "$TMP/missing.err" || fail "the error does not name the path"
[ -s "$TMP/missing.out" ] && fail "stdout not empty on error"

# --- make-checkpoint: writes a checkpoint inspect (and the model loader) accepts ---
"$BIN" make-checkpoint --like tiny-qwen2 --out "$TMP/q" --seed 3 >"$TMP/mk.out" 2>"$TMP/mk.err" || fail "make-checkpoint exited $?"
[ -f "$TMP/q/config.json" ] && [ -f "$TMP/q/model.safetensors" ] || fail "make-checkpoint did not write config.json + model.safetensors"
ls "$TMP/q" | grep -q '\.tmp$' && fail "a .tmp file was left behind"
"$BIN" inspect "$TMP/q" >"$TMP/q.out" 2>&1 || fail "inspect of the made checkpoint exited $?"
for l in "family: qwen2" "layers: 2" "heads: 4" "kv_heads: 2" "qkv_bias: true" "rope_theta: 1e+06" "dtypes: BF16 x 26"; do
  expect_line "$TMP/q.out" "$l"
done
# same seed, same bytes
"$BIN" make-checkpoint --like tiny-qwen2 --out "$TMP/q2" --seed 3 >/dev/null 2>&1 || fail "second make-checkpoint exited $?"
cmp -s "$TMP/q/model.safetensors" "$TMP/q2/model.safetensors" || fail "same seed gave different bytes"

# --layers override and --dtype, sharded
"$BIN" make-checkpoint --like tiny-mistral --layers 5 --dtype bf16 --shard-size-gb 0.0001 --out "$TMP/m" >/dev/null 2>&1 ||
  fail "make-checkpoint --layers 5 exited $?"
[ -f "$TMP/m/model.safetensors.index.json" ] || fail "no index for a sharded checkpoint"
"$BIN" inspect "$TMP/m" >"$TMP/m.out" 2>&1 || fail "inspect of the sharded checkpoint exited $?"
expect_line "$TMP/m.out" "layers: 5"
expect_line "$TMP/m.out" "storage_dtype: BF16"

# full-size plans without writing anything
"$BIN" make-checkpoint --like gpt2 --dry-run >"$TMP/dry.out" 2>&1 || fail "--dry-run exited $?"
expect_line "$TMP/dry.out" "parameters: 124439808"
expect_line "$TMP/dry.out" "h.0.attn.c_attn.weight F32 [768,2304]"
"$BIN" make-checkpoint --like mistral-7b --dry-run >"$TMP/dry7.out" 2>&1 || fail "--dry-run mistral exited $?"
expect_line "$TMP/dry7.out" "parameters: 7241732096"
"$BIN" make-checkpoint --list >"$TMP/list.out" 2>&1 || fail "--list exited $?"
for n in gpt2 llama-3.2-1b llama-3.2-3b qwen2.5-3b mistral-7b tiny-gpt2 tiny-llama tiny-qwen2 tiny-mistral; do
  grep -q "^$n " "$TMP/list.out" || fail "--list lacks $n"
done

# bad --like: exit 2, one line
"$BIN" make-checkpoint --like gpt5 --out "$TMP/x" >/dev/null 2>"$TMP/bad.err"
rc=$?
[ $rc -eq 2 ] || fail "make-checkpoint --like gpt5 exited $rc, expected 2"
[ "$(wc -l <"$TMP/bad.err")" -eq 1 ] || { fail "expected one stderr line"; cat "$TMP/bad.err" >&2; }
[ -e "$TMP/x" ] && fail "a folder was created for an unknown model"

if [ $fails -ne 0 ]; then
  echo "cli_inspect: $fails failure(s)" >&2
  exit 1
fi
echo "cli_inspect: all checks passed"
