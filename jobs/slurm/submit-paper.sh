#!/usr/bin/env bash
# Submits the paper's five-model reproduction to Slurm: the model jobs, then the report
# job that waits for them. Run from the repository root.
#
#   jobs/slurm/submit-paper.sh                # one array job (0-4), uniform resources
#   jobs/slurm/submit-paper.sh --per-model    # five jobs, resources sized per model
#   jobs/slurm/submit-paper.sh --afterany     # report even if a model job failed
#   extra sbatch flags after --, e.g.:  jobs/slurm/submit-paper.sh -- --account=abc --partition=cpu
#
# LOGITRANK_BIN, LOGITRANK_RESULTS etc. are passed on to the jobs (sbatch exports the
# environment). SBATCH (default: sbatch) names the submit command.
set -euo pipefail
cd "$(dirname "$0")/../.."

SBATCH=${SBATCH:-sbatch}
DEP=afterok
PER_MODEL=0
EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
    --per-model) PER_MODEL=1 ;;
    --afterany) DEP=afterany ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "submit-paper.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# model  ranks  mem-per-rank  time   (see jobs/README.md for where these come from)
RESOURCES=(
  "gpt2          8  4G  00:45:00"
  "llama-3.2-1b  8  6G  01:30:00"
  "llama-3.2-3b  8 10G  03:00:00"
  "qwen2.5-3b    8 10G  03:00:00"
  "mistral-7b    8 20G  06:00:00"
)

ids=()
if [ "$PER_MODEL" -eq 1 ]; then
  for r in "${RESOURCES[@]}"; do
    read -r model ranks mem time <<<"$r"
    id=$("$SBATCH" --parsable --job-name="logitrank-$model" --ntasks="$ranks" --mem-per-cpu="$mem" --time="$time" \
      "${EXTRA[@]}" jobs/slurm/logitrank-model.sbatch "configs/$model.yaml")
    id=${id%%;*}
    echo "submitted $model: job $id"
    ids+=("$id")
  done
else
  id=$("$SBATCH" --parsable --array=0-4 "${EXTRA[@]}" jobs/slurm/logitrank-model.sbatch)
  id=${id%%;*}
  echo "submitted the five models as array job $id"
  ids+=("$id")
fi

dep="$DEP$(printf ':%s' "${ids[@]}")"
rid=$("$SBATCH" --parsable --dependency="$dep" "${EXTRA[@]}" jobs/slurm/report.sbatch)
echo "submitted the report: job ${rid%%;*} (--dependency=$dep)"
echo "watch: squeue -u \$USER; results in ${LOGITRANK_RESULTS:-results}/<model>, report in ${LOGITRANK_RESULTS:-results}/report"
