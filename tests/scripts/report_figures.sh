#!/usr/bin/env bash
# logitrank report end to end: merge two result folders (written by test_report's
# Fixture.WriteTwoModelFolders through report::write_results, so this test does not
# depend on `logitrank run`), check the tables, the figures (PNG signature, SVG), the
# duplicate and garbled-input errors, and the message when matplotlib is missing.
# Usage: bash report_figures.sh LOGITRANK_BIN DATA_DIR MPIRUN MPIRUN_FLAGS...
set -euo pipefail
BIN=$(realpath "$1")
TEST_REPORT="$(dirname "$BIN")/test_report"
[ -x "$TEST_REPORT" ] || { echo "FAIL: $TEST_REPORT not built (cmake --build ... --target test_report)"; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }

LOGITRANK_REPORT_FIXTURE_OUT="$WORK/in" "$TEST_REPORT" --gtest_filter='Fixture.WriteTwoModelFolders' >"$WORK/fixture.log" 2>&1 \
  || { cat "$WORK/fixture.log"; fail "fixture writer"; }
grep -q '\[  PASSED  \] 1 test' "$WORK/fixture.log" || fail "fixture writer ran no test"
for m in gpt2-like llama-like; do
  for f in heads.csv spectra.safetensors softmax.csv summary.md summary.json manifest.json; do
    [ -s "$WORK/in/$m/$f" ] || fail "fixture folder lacks $m/$f"
  done
done

# ---- merge two folders, all formats, figures ----
"$BIN" report "$WORK/in/gpt2-like" "$WORK/in/llama-like" --out "$WORK/out" >"$WORK/report.log" 2>&1 \
  || { cat "$WORK/report.log"; fail "report exited $?"; }
cat "$WORK/report.log"
for f in summary.md summary.csv summary.json summary.tex; do [ -s "$WORK/out/$f" ] || fail "missing $f"; done
grep -q '^| gpt2-like | 12 (48 rows) | 16 |' "$WORK/out/summary.md" || fail "summary.md lacks the gpt2-like row"
grep -q '^| llama-like | 8 (16 rows) | 32 |' "$WORK/out/summary.md" || fail "summary.md lacks the llama-like row"
grep -q '^\*\*Headline:\*\* field k90 [0-9.]*–[0-9.]*, weight k90 [0-9.]*–[0-9.]*, gap [0-9.]*–[0-9.]*×$' "$WORK/out/summary.md" \
  || fail "summary.md headline"
for rule in '\\toprule' '\\midrule' '\\bottomrule'; do grep -q "$rule" "$WORK/out/summary.tex" || fail "tex lacks $rule"; done
[ "$(wc -l <"$WORK/out/summary.csv")" -eq 3 ] || fail "summary.csv should have a header and 2 rows"
/usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert [m['model'] for m in j['models']]==['gpt2-like','llama-like']; assert j['models'][0]['heads']==12" \
  "$WORK/out/summary.json" || fail "summary.json content"
ok "tables"

png_ok() { [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
svg_ok() { [ -s "$1" ] && grep -q '<svg' "$1"; }
for stem in energy gaps softmax heatmap_gpt2-like heatmap_llama-like; do
  png_ok "$WORK/out/figures/$stem.png" || fail "figures/$stem.png missing or not a PNG"
  svg_ok "$WORK/out/figures/$stem.svg" || fail "figures/$stem.svg missing or not an SVG"
done
ok "figures (PNG signature, SVG)"

# ---- one folder: --out defaults to it; --format subset; --no-figures ----
"$BIN" report "$WORK/in/gpt2-like" --format md,tex --no-figures >/dev/null || fail "single-folder report"
[ -s "$WORK/in/gpt2-like/summary.tex" ] || fail "single-folder report wrote no summary.tex into the folder"
[ ! -e "$WORK/in/gpt2-like/summary.csv" ] || fail "--format md,tex wrote summary.csv"
[ ! -e "$WORK/in/gpt2-like/figures" ] || fail "--no-figures wrote figures"
ok "single folder, --format, --no-figures"

# ---- matplotlib missing: tables written, message says how to get figures ----
set +e
LOGITRANK_PYTHON=/nonexistent/python3 "$BIN" report "$WORK/in/gpt2-like" "$WORK/in/llama-like" --out "$WORK/nofig" >"$WORK/nofig.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 0 ] || { cat "$WORK/nofig.log"; fail "report without matplotlib exited $rc"; }
grep -q 'figures skipped: python3-matplotlib not found (apt-get install python3-matplotlib, or run scripts/setup.sh)' "$WORK/nofig.log" \
  || { cat "$WORK/nofig.log"; fail "missing-matplotlib message"; }
[ -s "$WORK/nofig/summary.md" ] || fail "tables not written without matplotlib"
ok "missing matplotlib"

# ---- errors: exit 2, one line naming the file ----
expect_input_error() {  # expect_input_error NEEDLE CMD...
  local needle=$1; shift
  set +e
  "$@" >"$WORK/err.log" 2>&1
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$WORK/err.log"; fail "expected exit 2, got $rc: $*"; }
  grep -qF -- "$needle" "$WORK/err.log" || { cat "$WORK/err.log"; fail "message lacks '$needle'"; }
}
expect_input_error "duplicate row" "$BIN" report "$WORK/in/gpt2-like" "$WORK/in/llama-like" "$WORK/in/gpt2-like" --out "$WORK/dup" --no-figures
grep -qF "$WORK/in/gpt2-like/heads.csv" "$WORK/err.log" || fail "duplicate message does not name the folder"
expect_input_error "--out DIR is required" "$BIN" report "$WORK/in/gpt2-like" "$WORK/in/llama-like" --no-figures
mkdir -p "$WORK/bad"
printf 'model,text\nx,y\n' >"$WORK/bad/heads.csv"
expect_input_error "$WORK/bad/heads.csv: line 1" "$BIN" report "$WORK/bad" --no-figures
cp "$WORK/in/gpt2-like/heads.csv" "$WORK/bad/heads.csv"
sed -i '4s/,16,32,/,sixteen,32,/' "$WORK/bad/heads.csv"
expect_input_error "$WORK/bad/heads.csv: line 4: column head_dim" "$BIN" report "$WORK/bad" --no-figures
rm "$WORK/bad/heads.csv"
expect_input_error "$WORK/bad/heads.csv: missing" "$BIN" report "$WORK/bad" --no-figures
expect_input_error "unknown format 'pdf'" "$BIN" report "$WORK/in/gpt2-like" --format md,pdf --no-figures
ok "input errors"

echo "$passed passed, 0 failed"
[ "$passed" -eq 5 ]
