#!/usr/bin/env bash
# Downloads the Project Gutenberg plain-text books the configs use, for a machine with internet.
#
#   scripts/fetch-texts.sh [--check]
#
# Into ${LOGITRANK_TEXTS} (default ${LOGITRANK_DATA}/texts; LOGITRANK_DATA defaults to
# ../shared/data), as the file names configs/*.yaml expect:
#     11  alice_in_wonderland.txt     84  frankenstein.txt        345  dracula.txt
#   1342  pride_and_prejudice.txt   1661  sherlock_holmes.txt    2701  moby_dick.txt
#     98  tale_of_two_cities.txt
# Files already present are kept. --check only lists what is present and missing (exit 1
# if anything is missing). Offline, it says what is missing and where to put it, exits 1.
# (The Gutenberg header and licence stay in the files; `logitrank run` strips them.)
# configs/*.yaml read ${LOGITRANK_DATA}/texts: with LOGITRANK_TEXTS elsewhere, point the
# runs at it with --set texts=[...] or set LOGITRANK_DATA instead.
set -uo pipefail

DATA=${LOGITRANK_DATA:-../shared/data}
TEXTS=${LOGITRANK_TEXTS:-$DATA/texts}
BASE=${GUTENBERG_MIRROR:-https://www.gutenberg.org/cache/epub}

BOOKS=(
  "11 alice_in_wonderland"
  "84 frankenstein"
  "345 dracula"
  "1342 pride_and_prejudice"
  "1661 sherlock_holmes"
  "2701 moby_dick"
  "98 tale_of_two_cities"
)

CHECK=0
for a in "$@"; do
  case $a in
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "fetch-texts.sh: unknown argument '$a'" >&2; exit 2 ;;
  esac
done

url_of() { echo "$BASE/$1/pg$1.txt"; }

missing=()
for b in "${BOOKS[@]}"; do
  read -r id name <<<"$b"
  f=$TEXTS/$name.txt
  if [ -s "$f" ]; then
    echo "present  $name.txt"
    continue
  fi
  if [ "$CHECK" -eq 1 ]; then
    echo "MISSING  $name.txt  (Project Gutenberg #$id: $(url_of "$id"))"
    missing+=("$name")
    continue
  fi
  mkdir -p "$TEXTS" || { missing+=("$name"); continue; }
  echo "fetching $name.txt (Project Gutenberg #$id)"
  if curl -fsS -L --retry 3 --connect-timeout 20 -o "$f.part" "$(url_of "$id")" && [ -s "$f.part" ]; then
    mv "$f.part" "$f"
  else
    rm -f "$f.part"
    echo "  could not download $(url_of "$id")" >&2
    missing+=("$name")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "fetch-texts.sh: missing ${#missing[@]} text(s): ${missing[*]}" >&2
  echo "  put the plain-text (UTF-8) books in $TEXTS/ as <name>.txt (ids and names above)," >&2
  echo "  or set LOGITRANK_TEXTS / LOGITRANK_DATA to where they are" >&2
  exit 1
fi
echo "fetch-texts.sh: all ${#BOOKS[@]} texts present in $TEXTS"
