#!/usr/bin/env bash
# The cluster job scripts, run locally in place of the scheduler:
#   - bash -n on every job script and scripts/*.sh;
#   - each model script's launch section with LOGITRANK_LAUNCH="<mpirun> <flags> -np 2" on
#     configs/tiny.yaml (twice: the rerun resumes), each report script on its output;
#   - the signal path with a fake launcher: USR1 to the job shell (Slurm's --signal) or the
#     PBS script's own timer is forwarded to the run, which exits 3, and the job requeues
#     itself through (fake) scontrol / qrerun;
#   - submit-paper.sh with fake sbatch / qsub: the report waits on the model jobs.
# Usage: bash jobs_local.sh LOGITRANK_BIN DATA_DIR MPIRUN MPIRUN_FLAGS...
set -euo pipefail
BIN=$(realpath "$1")
DATA=$(realpath "$2")
MPIRUN=$3
shift 3
FLAGS="$*"
export LOGITRANK_DATA=$DATA

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }

# ---- syntax ----
n=0
for f in jobs/slurm/*.sbatch jobs/slurm/*.sh jobs/pbs/*.pbs jobs/pbs/*.sh scripts/*.sh; do
  bash -n "$f" || fail "bash -n $f"
  n=$((n + 1))
done
[ "$n" -ge 8 ] || fail "only $n scripts found"
grep -q '^#SBATCH --signal=B:USR1@300' jobs/slurm/logitrank-model.sbatch || fail "sbatch lacks --signal=B:USR1@300"
grep -q 'srun' jobs/slurm/logitrank-model.sbatch || fail "sbatch lacks srun"
grep -q -- '--resume' jobs/slurm/logitrank-model.sbatch || fail "sbatch lacks --resume"
grep -q -- '--resume' jobs/pbs/logitrank-model.pbs || fail "pbs lacks --resume"
ok "bash -n on $n scripts"

# ---- real launch lines on the tiny fixtures ----
export LOGITRANK_BIN=$BIN
export LOGITRANK_LAUNCH="$MPIRUN $FLAGS -np 2"
export LOGITRANK_CONFIG=configs/tiny.yaml
for sched in slurm pbs; do
  script=jobs/$sched/logitrank-model.$([ $sched = slurm ] && echo sbatch || echo pbs)
  report=jobs/$sched/report.$([ $sched = slurm ] && echo sbatch || echo pbs)
  export LOGITRANK_RESULTS=$WORK/$sched
  for attempt in 1 2; do  # the second run finds every unit saved (--resume) and still succeeds
    env -u SLURM_JOB_ID -u PBS_JOBID bash "$script" >"$WORK/$sched-run$attempt.log" 2>&1 \
      || { cat "$WORK/$sched-run$attempt.log"; fail "$script attempt $attempt"; }
  done
  for f in heads.csv spectra.safetensors softmax.csv summary.md summary.json manifest.json; do
    [ -s "$WORK/$sched/tiny/$f" ] || fail "$script did not write tiny/$f"
  done
  for m in tiny-gpt2 tiny-llama tiny-qwen2 tiny-mistral; do
    grep -q "^$m,golden,0," "$WORK/$sched/tiny/heads.csv" || fail "$sched: heads.csv lacks $m"
  done
  LOGITRANK_REPORT_DIRS="$WORK/$sched/tiny" LOGITRANK_REPORT_OUT="$WORK/$sched/report" bash "$report" \
    >"$WORK/$sched-report.log" 2>&1 || { cat "$WORK/$sched-report.log"; fail "$report"; }
  for f in summary.md summary.csv summary.json summary.tex; do
    [ -s "$WORK/$sched/report/$f" ] || fail "$report did not write $f"
  done
  grep -q '^| tiny-llama | 24 (24 rows) | 8 |' "$WORK/$sched/report/summary.md" || fail "$sched report table"
  ok "$sched: launch line (mpirun -np 2, twice) and report"
done
unset LOGITRANK_CONFIG

# ---- signal forwarding and requeue, with a fake launcher and fake scheduler commands ----
mkdir -p "$WORK/fakebin"
cat >"$WORK/fakebin/fake-launch" <<'EOF'
#!/usr/bin/env bash
# Stands in for `srun logitrank run ...`: waits for USR1, then exits 3 like an interrupted run.
echo "args: $*" >>"$FAKE_LOG"
trap 'echo "got USR1" >>"$FAKE_LOG"; exit 3' USR1
touch "$FAKE_STARTED"
for _ in $(seq 600); do sleep 0.1; done
exit 0
EOF
for cmd in scontrol qrerun; do
  printf '#!/usr/bin/env bash\necho "%s $*" >>"$FAKE_LOG"\n' "$cmd" >"$WORK/fakebin/$cmd"
done
chmod +x "$WORK/fakebin"/*
export FAKE_LOG=$WORK/fake.log FAKE_STARTED=$WORK/started

# Slurm: USR1 to the batch shell (what --signal=B:USR1@300 does).
rm -f "$FAKE_LOG" "$FAKE_STARTED"
PATH="$WORK/fakebin:$PATH" SLURM_JOB_ID=4242 LOGITRANK_LAUNCH="$WORK/fakebin/fake-launch" \
  bash jobs/slurm/logitrank-model.sbatch configs/tiny.yaml >"$WORK/sig-slurm.log" 2>&1 &
job=$!
for _ in $(seq 100); do [ -e "$FAKE_STARTED" ] && break; sleep 0.1; done
[ -e "$FAKE_STARTED" ] || fail "fake launcher did not start"
kill -USR1 "$job"
set +e
wait "$job"
rc=$?
set -e
cat "$WORK/sig-slurm.log"
[ "$rc" -eq 0 ] || fail "slurm job exited $rc after requeue (expected 0)"
grep -q "args: $BIN run --config configs/tiny.yaml --resume" "$FAKE_LOG" || { cat "$FAKE_LOG"; fail "launch line"; }
grep -q "got USR1" "$FAKE_LOG" || fail "USR1 not forwarded to the run"
grep -q "scontrol requeue 4242" "$FAKE_LOG" || { cat "$FAKE_LOG"; fail "no scontrol requeue"; }
ok "slurm: USR1 forwarded, status 3 -> scontrol requeue"

# Without a scheduler the interrupted status comes back as is.
rm -f "$FAKE_LOG" "$FAKE_STARTED"
env -u SLURM_JOB_ID LOGITRANK_LAUNCH="$WORK/fakebin/fake-launch" bash jobs/slurm/logitrank-model.sbatch configs/tiny.yaml \
  >"$WORK/sig-local.log" 2>&1 &
job=$!
for _ in $(seq 100); do [ -e "$FAKE_STARTED" ] && break; sleep 0.1; done
kill -TERM "$job"
set +e
wait "$job"
rc=$?
set -e
[ "$rc" -eq 3 ] || { cat "$WORK/sig-local.log"; fail "local interrupted run exited $rc (expected 3)"; }
grep -q "rerun the same command to resume" "$WORK/sig-local.log" || fail "local interrupt message"
ok "local: TERM forwarded, status 3 returned"

# PBS: the script's own timer fires STOP_BEFORE_S before the walltime.
rm -f "$FAKE_LOG" "$FAKE_STARTED"
set +e
PATH="$WORK/fakebin:$PATH" PBS_JOBID=77.pbs LOGITRANK_LAUNCH="$WORK/fakebin/fake-launch" LOGITRANK_CONFIG=configs/tiny.yaml \
  LOGITRANK_WALLTIME_S=3 LOGITRANK_STOP_BEFORE_S=1 bash jobs/pbs/logitrank-model.pbs >"$WORK/sig-pbs.log" 2>&1
rc=$?
set -e
cat "$WORK/sig-pbs.log"
[ "$rc" -eq 0 ] || fail "pbs job exited $rc after qrerun (expected 0)"
grep -q "got USR1" "$FAKE_LOG" || fail "pbs timer did not reach the run"
grep -q "qrerun 77.pbs" "$FAKE_LOG" || { cat "$FAKE_LOG"; fail "no qrerun"; }
ok "pbs: walltime timer -> USR1 forwarded, status 3 -> qrerun"

# ---- the real run interrupted through the job script, then resumed ----
# demo.yaml with up to 8 windows per text (~60 units); USR1 goes to the job shell as soon as the
# first unit is saved, long before the last.
export LOGITRANK_RESULTS=$WORK/real LOGITRANK_ARGS="--set windows=8"
export LOGITRANK_LAUNCH="$MPIRUN $FLAGS -np 2"
env -u SLURM_JOB_ID bash jobs/slurm/logitrank-model.sbatch configs/demo.yaml >"$WORK/real1.log" 2>&1 &
job=$!
for _ in $(seq 1200); do
  [ -n "$(find "$WORK/real/demo/units" -type f 2>/dev/null | head -1)" ] && break
  sleep 0.05
done
kill -USR1 "$job"
set +e
wait "$job"
rc=$?
set -e
[ "$rc" -eq 3 ] || { cat "$WORK/real1.log"; fail "interrupted real run exited $rc (expected 3)"; }
grep -q "interrupted: [0-9]* of [0-9]* units saved; rerun with --resume" "$WORK/real1.log" || { grep -v "^\[units" "$WORK/real1.log"; fail "interrupt message"; }
[ ! -e "$WORK/real/demo/heads.csv" ] || fail "an interrupted run left heads.csv"
env -u SLURM_JOB_ID bash jobs/slurm/logitrank-model.sbatch configs/demo.yaml >"$WORK/real2.log" 2>&1 \
  || { cat "$WORK/real2.log"; fail "resumed run"; }
grep -q "resumed [1-9][0-9]* of [0-9]* units" "$WORK/real2.log" || { cat "$WORK/real2.log"; fail "the rerun did not resume"; }
for m in gutenberg-gpt2-mini gutenberg-llama-mini; do
  grep -q "^$m,dracula,0,3,3," "$WORK/real/demo/heads.csv" || fail "resumed run: heads.csv lacks $m"
done
[ -s "$WORK/real/demo/summary.md" ] || fail "resumed run: summary.md"
unset LOGITRANK_ARGS
ok "real run: USR1 through the job script -> status 3, rerun resumes and completes"

# ---- submit-paper.sh with fake submit commands ----
cat >"$WORK/fakebin/sbatch" <<'EOF'
#!/usr/bin/env bash
n=$(( $(wc -l <"$FAKE_SUBMITS" 2>/dev/null || echo 0) + 100 ))
echo "sbatch $*" >>"$FAKE_SUBMITS"
echo "$n"
EOF
cat >"$WORK/fakebin/qsub" <<'EOF'
#!/usr/bin/env bash
n=$(( $(wc -l <"$FAKE_SUBMITS" 2>/dev/null || echo 0) + 200 ))
echo "qsub $*" >>"$FAKE_SUBMITS"
echo "$n.pbs"
EOF
chmod +x "$WORK/fakebin"/*
export FAKE_SUBMITS=$WORK/submits
: >"$FAKE_SUBMITS"
PATH="$WORK/fakebin:$PATH" bash jobs/slurm/submit-paper.sh >/dev/null
grep -q -- "--array=0-4 jobs/slurm/logitrank-model.sbatch" "$FAKE_SUBMITS" || { cat "$FAKE_SUBMITS"; fail "slurm array submission"; }
grep -q -- "--dependency=afterok:100 jobs/slurm/report.sbatch" "$FAKE_SUBMITS" || { cat "$FAKE_SUBMITS"; fail "slurm report dependency"; }
: >"$FAKE_SUBMITS"
PATH="$WORK/fakebin:$PATH" bash jobs/slurm/submit-paper.sh --per-model --afterany >/dev/null
[ "$(grep -c 'logitrank-model.sbatch configs/' "$FAKE_SUBMITS")" -eq 5 ] || { cat "$FAKE_SUBMITS"; fail "five per-model jobs"; }
grep -q -- "--dependency=afterany:100:101:102:103:104 jobs/slurm/report.sbatch" "$FAKE_SUBMITS" || { cat "$FAKE_SUBMITS"; fail "per-model dependency"; }
: >"$FAKE_SUBMITS"
PATH="$WORK/fakebin:$PATH" bash jobs/pbs/submit-paper.sh >/dev/null
[ "$(grep -c 'jobs/pbs/logitrank-model.pbs' "$FAKE_SUBMITS")" -eq 5 ] || { cat "$FAKE_SUBMITS"; fail "five pbs jobs"; }
grep -q "LOGITRANK_CONFIG=configs/mistral-7b.yaml" "$FAKE_SUBMITS" || fail "pbs config variable"
grep -q -- "-W depend=afterok:200.pbs:201.pbs:202.pbs:203.pbs:204.pbs .*jobs/pbs/report.pbs" "$FAKE_SUBMITS" \
  || { cat "$FAKE_SUBMITS"; fail "pbs report dependency"; }
for m in gpt2 llama-3.2-1b llama-3.2-3b qwen2.5-3b mistral-7b; do [ -f "configs/$m.yaml" ] || fail "configs/$m.yaml missing"; done
ok "submit-paper.sh (slurm array, slurm per-model, pbs)"

echo "$passed passed, 0 failed"
[ "$passed" -eq 8 ]
