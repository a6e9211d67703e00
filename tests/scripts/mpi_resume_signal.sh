#!/usr/bin/env bash
# A multi-rank run interrupted by a signal saves the finished units and exits 3; rerun with
# --resume (on another number of ranks) completes it, and the outputs equal those of an
# uninterrupted single-process run. Open MPI's mpirun forwards SIGUSR1 to every rank.
# Usage: mpi_resume_signal.sh LOGITRANK_BIN DATA_DIR MPIRUN [MPIRUN_FLAGS...]
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

# A --qk input big enough that the dense method takes seconds: 8 layers, H 4, H_kv 2, L 640, d_h 32.
python3 - "$TMP/big" <<'PY'
import json, os, random, struct, sys
d = sys.argv[1]
os.makedirs(d)
rng = random.Random(7)
H, G, L, D, NL = 4, 2, 640, 32, 8
header, blobs, off = {}, [], 0
for l in range(NL):
    for name, n0 in (("q", H), ("k", G)):
        n = n0 * L * D
        data = struct.pack("<%dd" % n, *(rng.uniform(-1, 1) for _ in range(n)))
        header[f"layer.{l}.{name}"] = {"dtype": "F64", "shape": [n0, L, D], "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(f"{d}/qk.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
PY
QK="$TMP/big/qk.safetensors"
[ -s "$QK" ] || { echo "FAIL: could not write $QK" >&2; exit 1; }
ARGS=(--qk "$QK" --method dense)

"$MPIRUN" "${FLAGS[@]}" -q -np 3 "$BIN" run "${ARGS[@]}" --out "$TMP/out" >"$TMP/interrupted.log" 2>&1 &
mp=$!
for _ in $(seq 1 6000); do
  ls "$TMP"/out/units/*.bin >/dev/null 2>&1 && break
  sleep 0.02
done
ls "$TMP"/out/units/*.bin >/dev/null 2>&1 || fail "no unit file appeared"
kill -USR1 "$mp"
wait "$mp"
rc=$?
[ "$rc" -eq 3 ] || fail "interrupted run exited $rc, expected 3 ($(tr '\n' ' ' <"$TMP/interrupted.log"))"
grep -qE "^interrupted: [0-9]+ of 8 units saved; rerun with --resume$" "$TMP/interrupted.log" ||
  fail "no 'interrupted: N of 8 units saved' line: $(cat "$TMP/interrupted.log")"
[ ! -e "$TMP/out/heads.csv" ] || fail "heads.csv written by an interrupted run"

"$MPIRUN" "${FLAGS[@]}" -np 2 "$BIN" run "${ARGS[@]}" --out "$TMP/out" --resume >"$TMP/resumed.log" 2>&1 ||
  fail "resume exited $? ($(tail -n 3 "$TMP/resumed.log" | tr '\n' ' '))"
grep -qE "^resumed [0-9]+ of 8 units" "$TMP/resumed.log" || fail "no 'resumed N of 8 units' line: $(cat "$TMP/resumed.log")"
"$BIN" run "${ARGS[@]}" --out "$TMP/full" >"$TMP/full.log" 2>&1 || fail "full run exited $?"
for f in heads.csv spectra.safetensors summary.json summary.md; do
  cmp -s "$TMP/full/$f" "$TMP/out/$f" || fail "$f differs between the resumed and the uninterrupted run"
done
[ "$(wc -l <"$TMP/full/heads.csv")" -eq 33 ] || fail "expected 32 rows in heads.csv"

if [ "$fails" -ne 0 ]; then
  echo "mpi_resume_signal: $fails failure(s)" >&2
  exit 1
fi
echo "mpi_resume_signal: OK"
