#!/usr/bin/env bash
# Downloads the paper's five checkpoints (Hugging Face layout) for a machine with internet.
#
#   scripts/fetch-models.sh [--check] [MODEL...]
#
# MODEL: gpt2 llama-3.2-1b llama-3.2-3b qwen2.5-3b mistral-7b (default: all five).
# Each goes to ${LOGITRANK_MODELS}/<folder> (the folders configs/*.yaml expect):
#   gpt2          openai-community/gpt2          F32   ~0.5 GB
#   llama-3.2-1b  meta-llama/Llama-3.2-1B        BF16  ~2.5 GB   (gated: accept the licence, set HF_TOKEN)
#   llama-3.2-3b  meta-llama/Llama-3.2-3B        BF16  ~6.4 GB   (gated)
#   qwen2.5-3b    Qwen/Qwen2.5-3B                BF16  ~6.2 GB
#   mistral-7b    mistralai/Mistral-7B-v0.1      BF16  ~14.5 GB
# Files: config.json, model.safetensors or model.safetensors.index.json + its shards,
# tokenizer.json, tokenizer_config.json, tokenizer.model (where the repository has them).
#
# Uses `huggingface-cli download` when installed, else curl (with $HF_TOKEN as a bearer
# token when set). --check only lists what is present and missing (exit 1 if anything is
# missing). Offline, it says what is missing and where to put it, and exits 1.
#
# LOGITRANK_MODELS defaults to ${LOGITRANK_DATA}/models; LOGITRANK_DATA to ../shared/data.
set -uo pipefail

DATA=${LOGITRANK_DATA:-../shared/data}
MODELS_DIR=${LOGITRANK_MODELS:-$DATA/models}
HF_BASE=${HF_ENDPOINT:-https://huggingface.co}

declare -A REPO=(
  [gpt2]=openai-community/gpt2
  [llama-3.2-1b]=meta-llama/Llama-3.2-1B
  [llama-3.2-3b]=meta-llama/Llama-3.2-3B
  [qwen2.5-3b]=Qwen/Qwen2.5-3B
  [mistral-7b]=mistralai/Mistral-7B-v0.1
)
ORDER=(gpt2 llama-3.2-1b llama-3.2-3b qwen2.5-3b mistral-7b)

CHECK=0
WANT=()
for a in "$@"; do
  case $a in
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *)
      [ -n "${REPO[$a]:-}" ] || { echo "fetch-models.sh: unknown model '$a' (one of: ${ORDER[*]})" >&2; exit 2; }
      WANT+=("$a") ;;
  esac
done
[ ${#WANT[@]} -gt 0 ] || WANT=("${ORDER[@]}")

folder_of() { basename "${REPO[$1]}"; }

# Lists the files a complete folder lacks (empty output = complete).
missing_files() {
  local dir=$1 f
  [ -s "$dir/config.json" ] || echo config.json
  if [ -s "$dir/model.safetensors.index.json" ]; then
    for f in $(grep -o '"[^"]*\.safetensors"' "$dir/model.safetensors.index.json" | tr -d '"' | sort -u); do
      [ -s "$dir/$f" ] || echo "$f"
    done
  elif [ ! -s "$dir/model.safetensors" ]; then
    echo "model.safetensors (or model.safetensors.index.json + shards)"
  fi
  [ -s "$dir/tokenizer.json" ] || [ -s "$dir/tokenizer.model" ] || echo "tokenizer.json"
}

report_missing() {
  local m=$1 dir=$2
  echo "  missing for $m: $(missing_files "$dir" | paste -sd' ' -)"
  echo "    get them from ${HF_BASE}/${REPO[$m]} (files above) and put them in $dir/"
}

if [ "$CHECK" -eq 1 ]; then
  status=0
  for m in "${WANT[@]}"; do
    dir=$MODELS_DIR/$(folder_of "$m")
    if [ -z "$(missing_files "$dir")" ]; then
      echo "present  $m  $dir"
    else
      echo "MISSING  $m  $dir"
      report_missing "$m" "$dir"
      status=1
    fi
  done
  exit $status
fi

# curl one file; optional files may be absent upstream (404).
fetch() {  # fetch REPO FILE DEST optional
  local repo=$1 file=$2 dest=$3 optional=$4 code
  local auth=()
  [ -n "${HF_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $HF_TOKEN")
  code=$(curl -sS -L --retry 3 --connect-timeout 20 "${auth[@]}" -o "$dest.part" -w '%{http_code}' \
    "$HF_BASE/$repo/resolve/main/$file") || { rm -f "$dest.part"; return 2; }
  if [ "$code" = 200 ]; then mv "$dest.part" "$dest"; return 0; fi
  rm -f "$dest.part"
  if [ "$optional" = 1 ] && [ "$code" = 404 ]; then return 0; fi
  case $code in
    401|403) echo "  $repo/$file: HTTP $code (gated: accept the licence on the model page and export HF_TOKEN)" >&2 ;;
    *) echo "  $repo/$file: HTTP $code" >&2 ;;
  esac
  return 1
}

fetch_with_curl() {  # fetch_with_curl MODEL DIR
  local repo=${REPO[$1]} dir=$2 f
  fetch "$repo" config.json "$dir/config.json" 0 || return 1
  for f in tokenizer.json tokenizer_config.json tokenizer.model; do fetch "$repo" "$f" "$dir/$f" 1 || return 1; done
  fetch "$repo" model.safetensors.index.json "$dir/model.safetensors.index.json" 1 || return 1
  if [ -s "$dir/model.safetensors.index.json" ]; then
    for f in $(grep -o '"[^"]*\.safetensors"' "$dir/model.safetensors.index.json" | tr -d '"' | sort -u); do
      [ -s "$dir/$f" ] || { echo "  $f"; fetch "$repo" "$f" "$dir/$f" 0 || return 1; }
    done
  else
    [ -s "$dir/model.safetensors" ] || fetch "$repo" model.safetensors "$dir/model.safetensors" 0 || return 1
  fi
}

fetch_with_hf_cli() {  # fetch_with_hf_cli MODEL DIR
  huggingface-cli download "${REPO[$1]}" --local-dir "$2" --include \
    config.json "*.safetensors" model.safetensors.index.json tokenizer.json tokenizer_config.json tokenizer.model
}

failed=()
for m in "${WANT[@]}"; do
  dir=$MODELS_DIR/$(folder_of "$m")
  if [ -z "$(missing_files "$dir")" ]; then
    echo "present  $m  $dir"
    continue
  fi
  mkdir -p "$dir" || { failed+=("$m"); continue; }
  echo "fetching $m (${REPO[$m]}) into $dir"
  if command -v huggingface-cli >/dev/null 2>&1; then
    fetch_with_hf_cli "$m" "$dir" || true
  else
    fetch_with_curl "$m" "$dir" || true
  fi
  if [ -n "$(missing_files "$dir")" ]; then
    failed+=("$m")
    report_missing "$m" "$dir"
  else
    echo "done     $m"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fetch-models.sh: incomplete: ${failed[*]} (no network, or a gated repository without HF_TOKEN?)" >&2
  echo "  copy the files listed above into ${MODELS_DIR}/<folder>/, or set LOGITRANK_MODELS to where they are" >&2
  exit 1
fi
echo "fetch-models.sh: all checkpoints present in $MODELS_DIR"
