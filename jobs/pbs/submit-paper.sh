#!/usr/bin/env bash
# Submits the paper's five-model reproduction to PBS: one job per model (resources sized
# per model), then the report job with -W depend=afterok on all five. Run from the
# repository root.
#
#   jobs/pbs/submit-paper.sh                 # five model jobs + report
#   jobs/pbs/submit-paper.sh --afterany      # report even if a model job failed
#   extra qsub flags after --, e.g.:  jobs/pbs/submit-paper.sh -- -A myproject -q workq
#
# LOGITRANK_BIN and LOGITRANK_RESULTS are passed on to the jobs with qsub -v.
# QSUB (default: qsub) names the submit command.
set -euo pipefail
cd "$(dirname "$0")/../.."

QSUB=${QSUB:-qsub}
DEP=afterok
EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
    --afterany) DEP=afterany ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "submit-paper.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

VARS="LOGITRANK_BIN=${LOGITRANK_BIN:-build/bin/logitrank},LOGITRANK_RESULTS=${LOGITRANK_RESULTS:-results}"

# model  ranks  memory  walltime  (see jobs/README.md)
RESOURCES=(
  "gpt2          8  32gb 00:45:00"
  "llama-3.2-1b  8  48gb 01:30:00"
  "llama-3.2-3b  8  80gb 03:00:00"
  "qwen2.5-3b    8  80gb 03:00:00"
  "mistral-7b    8 160gb 06:00:00"
)

ids=()
for r in "${RESOURCES[@]}"; do
  read -r model ranks mem time <<<"$r"
  secs=$(echo "$time" | awk -F: '{print $1*3600 + $2*60 + $3}')
  id=$("$QSUB" -N "logitrank-$model" -l "select=1:ncpus=$ranks:mpiprocs=$ranks:mem=$mem" -l "walltime=$time" \
    -v "$VARS,LOGITRANK_CONFIG=configs/$model.yaml,LOGITRANK_WALLTIME_S=$secs" "${EXTRA[@]}" jobs/pbs/logitrank-model.pbs)
  echo "submitted $model: job $id"
  ids+=("$id")
done

dep="$DEP$(printf ':%s' "${ids[@]}")"
rid=$("$QSUB" -W "depend=$dep" -v "$VARS" "${EXTRA[@]}" jobs/pbs/report.pbs)
echo "submitted the report: job $rid (-W depend=$dep)"
echo "watch: qstat -u \$USER; results in ${LOGITRANK_RESULTS:-results}/<model>, report in ${LOGITRANK_RESULTS:-results}/report"
