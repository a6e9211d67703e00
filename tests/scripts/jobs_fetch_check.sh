#!/usr/bin/env bash
# scripts/fetch-models.sh and scripts/fetch-texts.sh without the network: bash -n, and
# --check on prepared folders (present / missing lists, exit status). The downloads
# themselves are never run here.
# Usage: bash jobs_fetch_check.sh LOGITRANK_BIN DATA_DIR MPIRUN MPIRUN_FLAGS...
set -euo pipefail
DATA=$(realpath "$2")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }

bash -n scripts/fetch-models.sh || fail "bash -n fetch-models.sh"
bash -n scripts/fetch-texts.sh || fail "bash -n fetch-texts.sh"
ok "bash -n"

# ---- models: a complete single-file gpt2, a sharded mistral lacking one shard ----
M=$WORK/models
mkdir -p "$M/gpt2" "$M/Mistral-7B-v0.1"
for f in config.json model.safetensors tokenizer.json; do echo x >"$M/gpt2/$f"; done
echo x >"$M/Mistral-7B-v0.1/config.json"
echo x >"$M/Mistral-7B-v0.1/tokenizer.model"
cat >"$M/Mistral-7B-v0.1/model.safetensors.index.json" <<'JSON'
{"metadata": {"total_size": 2}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
JSON
echo x >"$M/Mistral-7B-v0.1/model-00001-of-00002.safetensors"

set +e
LOGITRANK_MODELS=$M bash scripts/fetch-models.sh --check >"$WORK/m.log" 2>&1
rc=$?
set -e
cat "$WORK/m.log"
[ "$rc" -eq 1 ] || fail "fetch-models --check with missing models exited $rc (expected 1)"
grep -q "^present  gpt2  $M/gpt2$" "$WORK/m.log" || fail "gpt2 should be present"
grep -q "^MISSING  mistral-7b  $M/Mistral-7B-v0.1$" "$WORK/m.log" || fail "mistral-7b should be missing"
grep -q "missing for mistral-7b: model-00002-of-00002.safetensors$" "$WORK/m.log" || fail "the missing shard is not named"
grep -q "missing for llama-3.2-1b: config.json model.safetensors" "$WORK/m.log" || fail "llama-3.2-1b files not listed"
grep -q "put them in $M/Llama-3.2-1B/" "$WORK/m.log" || fail "where to put them"
[ "$(grep -c '^MISSING' "$WORK/m.log")" -eq 4 ] || fail "expected 4 missing models"
LOGITRANK_MODELS=$M bash scripts/fetch-models.sh --check gpt2 >/dev/null || fail "--check gpt2 alone should pass"
echo x >"$M/Mistral-7B-v0.1/model-00002-of-00002.safetensors"
LOGITRANK_MODELS=$M bash scripts/fetch-models.sh --check gpt2 mistral-7b >/dev/null || fail "complete shards should pass"
set +e
bash scripts/fetch-models.sh --check no-such-model >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unknown model exited $rc (expected 2)"
ok "fetch-models.sh --check"

# ---- texts: the shared data has all seven; an empty folder has none ----
LOGITRANK_TEXTS=$DATA/texts bash scripts/fetch-texts.sh --check >"$WORK/t.log" 2>&1 || { cat "$WORK/t.log"; fail "shared texts should be complete"; }
[ "$(grep -c '^present' "$WORK/t.log")" -eq 7 ] || fail "expected 7 present texts"
mkdir -p "$WORK/texts"
echo x >"$WORK/texts/dracula.txt"
set +e
LOGITRANK_TEXTS=$WORK/texts bash scripts/fetch-texts.sh --check >"$WORK/t2.log" 2>&1
rc=$?
set -e
cat "$WORK/t2.log"
[ "$rc" -eq 1 ] || fail "fetch-texts --check with missing texts exited $rc (expected 1)"
grep -q "^present  dracula.txt" "$WORK/t2.log" || fail "dracula should be present"
grep -q "^MISSING  moby_dick.txt  (Project Gutenberg #2701: https://www.gutenberg.org/cache/epub/2701/pg2701.txt)" "$WORK/t2.log" \
  || fail "moby_dick missing line"
[ "$(grep -c '^MISSING' "$WORK/t2.log")" -eq 6 ] || fail "expected 6 missing texts"
grep -q "put the plain-text (UTF-8) books in $WORK/texts/" "$WORK/t2.log" || fail "where to put them"
ok "fetch-texts.sh --check"

echo "$passed passed, 0 failed"
[ "$passed" -eq 3 ]
