#!/usr/bin/env bash
# Bad input to `logitrank run` gives exit status 2 and exactly one line on stderr naming the
# file and tensor/key at fault -- single process and under mpirun -np 2 (rank 0 validates and
# every rank exits cleanly, no MPI_Abort banner). Under mpirun the runs use -q: without it
# Open MPI's mpirun adds its own report that a process returned a non-zero status.
# Usage: cli_errors.sh LOGITRANK_BIN DATA_DIR [MPIRUN MPIRUN_FLAGS...]
set -u -o pipefail
BIN="$1"
DATA="$2"
MPIRUN="${3:-}"
shift 3 2>/dev/null || shift $#
FLAGS=("$@")
TMP="$(mktemp -d)"
trap 'chmod -R u+rwx "$TMP"; rm -rf "$TMP"' EXIT
fails=0
checked=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# Bad --qk files (F64; layer.<l>.q [H, L, d_h], layer.<l>.k [H_kv, L, d_h]).
python3 - "$TMP" <<'PY'
import json, math, struct, sys
d = sys.argv[1]
def write(name, tensors):
    header, blob = {}, b""
    for tname, shape, values in tensors:
        data = struct.pack("<%dd" % len(values), *values)
        header[tname] = {"dtype": "F64", "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(f"{d}/{name}", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + blob)
def vals(n, seed):
    return [math.sin(seed * 7.1 + i * 0.37) for i in range(n)]
H, G, L, D = 4, 2, 12, 4
q = lambda l: (f"layer.{l}.q", [H, L, D], vals(H * L * D, l + 1))
k = lambda l: (f"layer.{l}.k", [G, L, D], vals(G * L * D, l + 11))
write("good.safetensors", [q(0), k(0), q(1), k(1)])
write("missing_k.safetensors", [q(0), k(0), q(1)])
write("gap.safetensors", [q(0), k(0), q(2), k(2)])
write("shape.safetensors", [q(0), ("layer.0.k", [G, L - 2, D], vals(G * (L - 2) * D, 3))])
write("gqa.safetensors", [("layer.0.q", [5, L, D], vals(5 * L * D, 1)), ("layer.0.k", [3, L, D], vals(3 * L * D, 2))])
bad = vals(H * L * D, 1); bad[2 * L * D + 5 * D + 1] = float("nan")
write("nan.safetensors", [q(0), k(0), ("layer.1.q", [H, L, D], bad), k(1)])
inf = vals(G * L * D, 2); inf[7] = float("inf")
write("inf.safetensors", [q(0), ("layer.0.k", [G, L, D], inf)])
with open(f"{d}/garbage.safetensors", "wb") as f:
    f.write(b"\xff" * 64)
PY
[ -f "$TMP/good.safetensors" ] || { echo "FAIL: could not write test files (python3)" >&2; exit 1; }
cp "$TMP/good.safetensors" "$TMP/unreadable.safetensors"
chmod 000 "$TMP/unreadable.safetensors"
mkdir "$TMP/folder.safetensors"
printf 'models:\n  - {qk: %s}\nseqlen: 12\n' "$TMP/good.safetensors" >"$TMP/typo.yaml"

# expect NAME PATTERN LAUNCHER... -- ARGS...: exit 2, one stderr line matching PATTERN (grep -E).
expect() {
  local name="$1" pattern="$2"
  shift 2
  local launcher=()
  while [ "$1" != "--" ]; do launcher+=("$1"); shift; done
  shift
  "${launcher[@]}" "$BIN" run "$@" --out "$TMP/out.$name" >"$TMP/$name.out" 2>"$TMP/$name.err"
  local rc=$?
  checked=$((checked + 1))
  local lines
  lines=$(wc -l <"$TMP/$name.err")
  if [ "$rc" -ne 2 ]; then fail "$name: exit $rc, expected 2"; sed 's/^/    /' "$TMP/$name.err" >&2; return; fi
  if [ "$lines" -ne 1 ]; then fail "$name: $lines lines on stderr, expected 1"; sed 's/^/    /' "$TMP/$name.err" >&2; return; fi
  grep -qE -- "$pattern" "$TMP/$name.err" || fail "$name: stderr '$(cat "$TMP/$name.err")' does not match '$pattern'"
  [ ! -e "$TMP/out.$name/heads.csv" ] || fail "$name: wrote heads.csv despite the error"
}

cases() {  # cases TAG LAUNCHER...
  local tag="$1"
  shift
  expect "$tag.missing_file" "absent\.safetensors: no such file" "$@" -- --qk "$TMP/absent.safetensors"
  if [ "$(id -u)" != 0 ]; then
    expect "$tag.unreadable" "unreadable\.safetensors" "$@" -- --qk "$TMP/unreadable.safetensors"
  fi
  expect "$tag.folder" "folder\.safetensors: is a folder" "$@" -- --qk "$TMP/folder.safetensors"
  expect "$tag.garbage" "garbage\.safetensors" "$@" -- --qk "$TMP/garbage.safetensors"
  expect "$tag.missing_layer" "missing_k\.safetensors: missing tensor layer\.1\.k" "$@" -- --qk "$TMP/missing_k.safetensors"
  expect "$tag.gap" "gap\.safetensors: missing tensor layer\.1\.q" "$@" -- --qk "$TMP/gap.safetensors"
  expect "$tag.shapes" "shape\.safetensors: tensor layer\.0\.k has shape \[2, 10, 4\] but layer\.0\.q has shape \[4, 12, 4\]" \
    "$@" -- --qk "$TMP/shape.safetensors"
  expect "$tag.gqa" "gqa\.safetensors: tensor layer\.0\.q: H = 5 is not divisible by H_kv = 3" "$@" -- --qk "$TMP/gqa.safetensors"
  expect "$tag.nan" "nan\.safetensors: tensor layer\.1\.q has NaN at index \[2, 5, 1\]" "$@" -- --qk "$TMP/nan.safetensors"
  expect "$tag.inf" "inf\.safetensors: tensor layer\.0\.k has Inf at index \[0, 1, 3\]" "$@" -- --qk "$TMP/inf.safetensors"
  expect "$tag.layers" "layer 7 out of range \(the model has 2 layers" "$@" -- --qk "$TMP/good.safetensors" --layers 0,7
  expect "$tag.config_key" "typo\.yaml: unknown key 'seqlen' \(did you mean 'seq_len'\?\)" "$@" -- --config "$TMP/typo.yaml"
  expect "$tag.missing_text" "absent\.txt: no such file" "$@" -- --model "$DATA/models/gutenberg-gpt2-mini" --text "$TMP/absent.txt"
  expect "$tag.missing_model" "no-model: no such file or folder \(model\)" "$@" -- --model "$TMP/no-model" --text "$DATA/texts/dracula.txt"
}

cases single
if [ -n "$MPIRUN" ]; then
  cases np2 "$MPIRUN" -q "${FLAGS[@]}" -np 2
fi

# A good file still works (the checks above are not failing everything).
"$BIN" run --qk "$TMP/good.safetensors" --out "$TMP/good" >/dev/null 2>"$TMP/good.err" || fail "good file: exit $?"
[ "$(wc -l <"$TMP/good/heads.csv")" -eq 9 ] || fail "good file: expected 8 rows in heads.csv"

if [ "$fails" -ne 0 ]; then
  echo "cli_errors: $fails failure(s) in $checked cases" >&2
  exit 1
fi
echo "cli_errors: OK ($checked cases)"
