#!/usr/bin/env bash
# `logitrank tokenize` as a user calls it: ids of every golden case for each real
# tokenizer file (HF tokenizers' own ids), BOS only with --with-special, a book window,
# and bad input -> exit 2 with one line on stderr.
# Usage: cli_tokenize.sh BIN DATA MPIRUN FLAGS...
set -euo pipefail
BIN=$1 DATA=$2
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

checked=0
for fam in gpt2 llama3 qwen2.5 mistral-7b-v0.1; do
  golden=$DATA/golden/tokenize/$fam.json
  tok=$DATA/tokenizers/$fam/tokenizer.json
  [ -f "$golden" ] && [ -f "$tok" ] || fail "missing $golden or $tok"
  # Each case: its text in a file, expected ids with and without special tokens.
  n=$("$PY" - "$golden" "$WORK/$fam" <<'PY'
import json, os, sys
g = json.load(open(sys.argv[1])); d = sys.argv[2]; os.makedirs(d)
for i, c in enumerate(g["cases"]):
    open(f"{d}/{i}.txt", "w", encoding="utf-8", newline="").write(c["text"])
    open(f"{d}/{i}.ids", "w").write(" ".join(map(str, c["ids"])))
    open(f"{d}/{i}.special", "w").write(" ".join(map(str, c["ids_with_special"])))
print(len(g["cases"]))
PY
)
  for ((i = 0; i < n; i++)); do
    got=$("$BIN" tokenize --tokenizer "$tok" --text "$WORK/$fam/$i.txt" --keep-boilerplate)
    [ "$got" = "$(cat "$WORK/$fam/$i.ids")" ] || fail "$fam case $i: ids differ"
    got=$("$BIN" tokenize --tokenizer "$tok" --text "$WORK/$fam/$i.txt" --keep-boilerplate --with-special)
    [ "$got" = "$(cat "$WORK/$fam/$i.special")" ] || fail "$fam case $i: ids with special tokens differ"
    checked=$((checked + 1))
  done
done
[ "$checked" -ge 100 ] || fail "only $checked cases checked"
echo "ok: $checked golden cases, 4 tokenizers, with and without BOS"

# --string, and the books' own tokenizer on the golden window.
[ "$("$BIN" tokenize --tokenizer "$DATA/tokenizers/mistral-7b-v0.1/tokenizer.json" --string "Hello world" --with-special)" = "1 22557 1526" ] \
  || fail "mistral Hello world"
mini=$DATA/models/gutenberg-gpt2-mini
want=$("$PY" -c "import json,sys; print(' '.join(map(str, json.load(open(sys.argv[1])))))" "$mini/input_ids.json")
[ "$("$BIN" tokenize --tokenizer "$mini" --text "$mini/window.txt")" = "$want" ] || fail "gutenberg-gpt2-mini window.txt"
echo "ok: --string and the gutenberg-gpt2-mini window"

# Bad input: exit 2, exactly one line on stderr.
expect2() {
  local tag=$1; shift
  set +e; "$BIN" "$@" >/dev/null 2>"$WORK/err"; rc=$?; set -e
  [ "$rc" -eq 2 ] || fail "$tag: exit $rc (expected 2)"
  [ "$(wc -l <"$WORK/err")" -eq 1 ] || { cat "$WORK/err"; fail "$tag: stderr is not one line"; }
}
printf 'ok \xff\xfe bad' >"$WORK/bad.txt"
echo '{"model": {"type": "Nonsense"}}' >"$WORK/bad-tokenizer.json"
expect2 missing-tokenizer tokenize --tokenizer "$WORK/nope.json" --string x
expect2 invalid-utf8 tokenize --tokenizer "$DATA/tokenizers/gpt2/tokenizer.json" --text "$WORK/bad.txt"
expect2 unknown-model-type tokenize --tokenizer "$WORK/bad-tokenizer.json" --string x
expect2 no-input tokenize --tokenizer "$DATA/tokenizers/gpt2/tokenizer.json"
grep -q "byte 3\|offset 3" <("$BIN" tokenize --tokenizer "$DATA/tokenizers/gpt2/tokenizer.json" --text "$WORK/bad.txt" 2>&1 || true) \
  || fail "invalid UTF-8 message lacks the byte offset"
echo "ok: bad input exits 2 with one line"
echo "1 passed, 0 failed"
