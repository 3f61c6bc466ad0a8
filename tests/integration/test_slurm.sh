#!/bin/bash
# Slurm array sweeps against a real single-node Slurm that this test starts on localhost
# (slurmctld + slurmd in a temp folder, auth/none, stopped with `scontrol shutdown`):
#  (a) a 3-size CPU sweep submitted with scripts/sweep.py --submit: 3 results files and a
#      3-row table from scripts/collect.py;
#  (b) requeue: a longer job gets SIGUSR1 mid-run (scancel --signal=USR1 --batch), the
#      batch script passes it to mdlbench, which checkpoints and exits with 75; the task
#      is requeued, resumes, and its prequential code length equals, bit for bit, that of
#      the same job run without interruption (sweep.py --local).
# Installs slurm-wlm (and python3-yaml) with apt when missing; skips (77) only when it
# cannot.
# Environment: MDLBENCH = the binary (default build/mdlbench), MDL_SOURCE_DIR = the source
# tree (default: from this script's place), SLURM_TEST_PARTS = "a b" (default both).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${MDL_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
MDLBENCH=${MDLBENCH:-$src/build/mdlbench}
parts=${SLURM_TEST_PARTS:-a b}
python=/usr/bin/python3
sweep="$src/scripts/sweep.py"
collect="$src/scripts/collect.py"

fail() { echo "FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
t_start=$(now)
t_phase=$t_start
phase() {  # phase NAME: prints the time since the previous phase
    local t
    t=$(now)
    awk -v a="$t_phase" -v b="$t" -v n="$1" 'BEGIN { printf "phase %-36s %6.1f s\n", n, b - a }'
    t_phase=$t
}

[[ -x "$MDLBENCH" ]] || fail "MDLBENCH='$MDLBENCH' is not executable"
"$python" -c 'import h5py' 2>/dev/null \
    || { echo "SKIP: /usr/bin/python3 lacks h5py (python3-h5py)"; exit 77; }

has_checkpoints=0
"$MDLBENCH" run --help 2>&1 | grep -q -- '--checkpoint-dir' && has_checkpoints=1

# ---- Slurm and PyYAML: installed, or installable ---------------------------------------------
need=()
command -v slurmctld >/dev/null && command -v slurmd >/dev/null || need+=(slurm-wlm)
"$python" -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
if [[ ${#need[@]} -gt 0 ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "SKIP: ${need[*]} not installed, and installing needs root"; exit 77
    fi
    echo "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1
        apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
            || { echo "SKIP: ${need[*]} not installed, and apt-get cannot install it"; exit 77; }
    fi
    phase "install ${need[*]}"
fi

# only this test's Slurm: no SLURM_* variables from a Slurm job that runs the test
while read -r v; do unset "$v"; done < <(compgen -e | grep '^SLURM_')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mdl_slurm.XXXXXX")
export SLURM_CONF="$tmp/slurm/slurm.conf"
ctld_pid="" slurmd_pid="" local_pid=""
# our_stepds: the slurmstepd processes of this test's Slurm (their environment names our
# slurm.conf); `scontrol shutdown` leaves them behind when it comes while jobs end
our_stepds() {
    local d comm
    for d in /proc/[0-9]*; do
        read -r comm <"$d/comm" 2>/dev/null && [[ "$comm" == slurmstepd ]] || continue
        grep -qzxF "SLURM_CONF=$SLURM_CONF" "$d/environ" 2>/dev/null && echo "${d#/proc/}"
    done
}
cleanup() {
    [[ -z "$local_pid" ]] || kill -TERM -- "-$local_pid" 2>/dev/null
    if [[ -n "$ctld_pid" ]]; then
        scancel --quiet --user "$(id -un)" 2>/dev/null
        for _ in $(seq 75); do  # let cancelled jobs end before the daemons go
            [[ -z "$(squeue -h 2>/dev/null)" && -z "$(our_stepds)" ]] && break
            sleep 0.2
        done
        scontrol shutdown >/dev/null 2>&1
        for _ in $(seq 50); do
            kill -0 "$ctld_pid" 2>/dev/null || kill -0 "$slurmd_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill "$ctld_pid" "$slurmd_pid" 2>/dev/null
        local left
        left=$(our_stepds)
        [[ -z "$left" ]] || kill -9 $left 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- start slurmctld and slurmd on localhost ------------------------------------------------
node=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
read -r ctld_port slurmd_port < <("$python" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
mkdir -p "$tmp/slurm/state" "$tmp/slurm/spool"
cat >"$SLURM_CONF" <<EOF
ClusterName=mdltest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/none
CredType=cred/none
AuthInfo=cred_expire=5
StateSaveLocation=$tmp/slurm/state
SlurmdSpoolDir=$tmp/slurm/spool
SlurmctldPidFile=$tmp/slurm/slurmctld.pid
SlurmdPidFile=$tmp/slurm/slurmd.pid
SlurmctldLogFile=$tmp/slurm/slurmctld.log
SlurmdLogFile=$tmp/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
SchedulerParameters=sched_interval=1
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
setsid slurmctld -D -f "$SLURM_CONF" >"$tmp/slurm/slurmctld.out" 2>&1 &
ctld_pid=$!
setsid slurmd -D -f "$SLURM_CONF" >"$tmp/slurm/slurmd.out" 2>&1 &
slurmd_pid=$!
for _ in $(seq 150); do
    state=$(sinfo -h -n "$node" -o %T 2>/dev/null)
    [[ "$state" == idle ]] && break
    kill -0 "$ctld_pid" 2>/dev/null && kill -0 "$slurmd_pid" 2>/dev/null || break
    sleep 0.2
done
if [[ "$state" != idle ]]; then
    tail -n 5 "$tmp/slurm/slurmctld.log" "$tmp/slurm/slurmd.log" "$tmp/slurm/"*.out >&2
    fail "the Slurm node did not come up (state '${state:-none}')"
fi
phase "start slurmctld + slurmd"

# job_state ID: the state of every task of a job, one per line (sacct is off)
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
# wait_done ID SECONDS: until no task of the job is pending, running or completing
wait_done() {
    local end=$((SECONDS + $2))
    while ((SECONDS < end)); do
        job_state "$1" |
            grep -qE 'PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUE|SUSPENDED|RESIZING' ||
            return 0
        sleep 0.5
    done
    return 1
}
# fail_logs MESSAGE: fail, showing the task logs under $out and slurmctld's log
fail_logs() {
    for f in "$out"/logs/*; do echo "== $f"; tail -n 20 "$f"; done >&2
    tail -n 20 "$tmp/slurm/slurmctld.log" >&2
    fail "$@"
}
# preq FILE: "preq_bits final_bits" as mdlbench report --format json prints them
preq() {
    "$MDLBENCH" report --format json "$1" | "$python" -c '
import json, re, sys
text = sys.stdin.read()
json.loads(text)
vals = [re.search(r"\"%s\": ([-0-9.eE+]+|null)" % k, text) for k in ("preq_bits", "final_bits")]
print(" ".join(m.group(1) if m else "missing" for m in vals))'
}

tiny=(model.n_layer=1 model.n_head=2 model.d_ff=64 model.context=64 train.segment=32
      run.two_part=false)
set_yaml() { local kv; for kv in "${tiny[@]}" "$@"; do printf '  - %s\n' "$kv"; done; }

# ---- (a) a 3-size CPU sweep ---------------------------------------------------------------
if [[ " $parts " == *" a "* ]]; then
    # every sweep job passes --checkpoint-dir DIR --resume auto
    [[ $has_checkpoints -eq 1 ]] \
        || fail "(a) checkpoint support missing: '$MDLBENCH run --help' has no --checkpoint-dir"
    # ~20 kB of sentences of random words from the GPL
    "$python" - "$tmp/corpus-a.txt" 20000 <<'EOF'
import random, re, sys
words = sorted(set(re.findall(r"[a-z]+", open("/usr/share/common-licenses/GPL-3").read())))
r, text = random.Random(5), ""
while len(text) < int(sys.argv[2]):
    text += " ".join(r.choice(words) for _ in range(r.randint(4, 12))) + ".\n"
open(sys.argv[1], "w").write(text[: int(sys.argv[2])])
EOF
    cat >"$tmp/sweep-a.yaml" <<EOF
name: mdltest-a
mdlbench: $MDLBENCH
models:
  - {name: d32, set: [model.d_model=32]}
  - {name: d48, set: [model.d_model=48]}
  - {name: d64, set: [model.d_model=64]}
corpora: [$tmp/corpus-a.txt]
seeds: [7]
set:
$(set_yaml)
args: [--codecs, "gzip:9", --orders, "1", --threads, "1"]
slurm:
  partition: debug
  ntasks: 1
  cpus_per_task: 1
  time: "00:10:00"
  signal_seconds: 30
EOF
    out=$tmp/out-a
    "$python" "$sweep" "$tmp/sweep-a.yaml" --dry-run --out "$out" >"$tmp/dry-a.sh" \
        || fail "sweep.py --dry-run failed"
    for want in '#SBATCH --array=0-2' '#SBATCH --requeue' '#SBATCH --signal=B:USR1@30' \
                '#SBATCH --cpus-per-task=1' "#SBATCH --output=$out/logs/" 'scontrol requeue'; do
        grep -qF -- "$want" "$tmp/dry-a.sh" || fail "the --dry-run script lacks '$want'"
    done
    bash -n "$tmp/dry-a.sh" || fail "the --dry-run script is not valid bash"
    jobid=$("$python" "$sweep" "$tmp/sweep-a.yaml" --submit --out "$out" 2>"$tmp/submit-a.err") \
        || { cat "$tmp/submit-a.err" >&2; fail "sweep.py --submit failed"; }
    [[ "$jobid" =~ ^[0-9]+$ ]] || fail "sweep.py --submit printed '$jobid', not a job id"
    [[ -f "$out/sweep.sbatch" ]] || fail "--submit wrote no $out/sweep.sbatch"
    phase "(a) dry run + submit"
    wait_done "$jobid" 300 || fail_logs "(a) the array job did not finish in 300 s"
    phase "(a) 3 array tasks ran"
    states=$(job_state "$jobid" | sort | uniq -c | xargs)
    [[ "$states" == "3 COMPLETED" ]] || fail_logs "(a) task states: $states"
    for m in d32 d48 d64; do
        [[ -f "$out/${m}_corpus-a_s7.h5" ]] || fail_logs "(a) no $out/${m}_corpus-a_s7.h5"
    done
    "$python" "$collect" --mdlbench "$MDLBENCH" "$out"/*.h5 --csv "$tmp/a.csv" \
        --markdown "$tmp/a.md" >/dev/null || fail "collect.py failed"
    rows=$(($(wc -l <"$tmp/a.csv") - 1))
    [[ $rows -eq 3 ]] || fail "(a) collect.py's CSV has $rows rows, want 3"
    [[ $(grep -c '| complete |' "$tmp/a.md") -eq 3 ]] \
        || fail "(a) the markdown table lacks 3 complete rows"
    cat "$tmp/a.md"
    # a second --submit finds every result and submits nothing
    again=$("$python" "$sweep" "$tmp/sweep-a.yaml" --submit --out "$out" 2>&1) \
        || fail "a second --submit failed: $again"
    [[ "$again" == *"nothing submitted"* ]] || fail "a second --submit did not skip: $again"
    phase "(a) results and collect.py"
fi

# ---- (b) SIGUSR1 mid-run: checkpoint, requeue, resume, same bits ----------------------------
if [[ " $parts " == *" b "* ]]; then
    [[ $has_checkpoints -eq 1 ]] \
        || fail "(b) checkpoint support missing: '$MDLBENCH run --help' has no --checkpoint-dir"
    size_b=1200000 # long enough to be signalled mid-run; the sanitizers run ~10x slower
    [ "${MDL_SANITIZE:-OFF}" = ON ] && size_b=300000
    for _ in 1 2 3 4 5 6; do cat /usr/share/common-licenses/*; done | head -c $size_b \
        >"$tmp/corpus-b.txt"
    cat >"$tmp/sweep-b.yaml" <<EOF
name: mdltest-b
mdlbench: $MDLBENCH
models: [{name: d48, set: [model.d_model=48]}]
corpora: [$tmp/corpus-b.txt]
seeds: [3]
set:
$(set_yaml run.flush_seconds=0.2)
args: [--codecs, none, --orders, none, --threads, "1"]
slurm: {partition: debug, ntasks: 1, cpus_per_task: 1, time: "00:10:00"}
EOF
    name=d48_corpus-b_s3
    # the uninterrupted reference, on the other core meanwhile
    setsid "$python" "$sweep" "$tmp/sweep-b.yaml" --local --out "$tmp/out-b-local" \
        >"$tmp/local-b.log" 2>&1 &
    local_pid=$!  # its own process group: cleanup stops it with its mdlbench
    out=$tmp/out-b
    jobid=$("$python" "$sweep" "$tmp/sweep-b.yaml" --submit --out "$out" 2>"$tmp/submit-b.err") \
        || { cat "$tmp/submit-b.err" >&2; fail "(b) sweep.py --submit failed"; }
    task="${jobid}_0"
    # wait until training is under way: the results file holds some curve rows
    for _ in $(seq 600); do
        [[ $(stat -c %s "$out/$name.h5.partial" 2>/dev/null || echo 0) -gt 30000 ]] && break
        [[ -e "$out/$name.h5" ]] && break
        sleep 0.1
    done
    [[ -e "$out/$name.h5" ]] \
        && fail "(b) the job finished before it could be signalled; use a larger corpus"
    [[ -e "$out/$name.h5.partial" ]] || fail_logs "(b) the job did not start training in 60 s"
    phase "(b) job started training"
    sleep 1
    scancel --signal=USR1 --batch "$task" || fail "(b) scancel --signal=USR1 --batch $task failed"
    requeued=0
    for _ in $(seq 600); do
        if grep -q "requeueing" "$out"/logs/*.out 2>/dev/null; then requeued=1; break; fi
        [[ -e "$out/$name.h5" ]] && break
        sleep 0.1
    done
    [[ $requeued -eq 1 ]] || fail_logs "(b) the task was not requeued after SIGUSR1"
    grep -q "got SIGUSR1" "$out"/logs/*.out && grep -q "exit 75" "$out"/logs/*.out \
        || fail_logs "(b) the task log shows no SIGUSR1 and exit 75"
    [[ -n "$(ls -A "$out/$name.ckpt" 2>/dev/null)" ]] \
        || fail "(b) $out/$name.ckpt holds no checkpoint"
    phase "(b) SIGUSR1 -> checkpoint, requeue"
    # a requeued task waits until the credentials of its first run expire
    # (AuthInfo=cred_expire, 120 s by default, 5 s here); starting it earlier fails it
    wait_done "$jobid" 600 || fail_logs "(b) the requeued task did not finish in 600 s"
    phase "(b) requeued task resumed, finished"
    [[ $(job_state "$jobid") == COMPLETED ]] || fail_logs "(b) state $(job_state "$jobid")"
    restarts=$(scontrol show job "$jobid" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
    [[ "${restarts:-0}" -ge 1 ]] || fail "(b) Restarts=$restarts, want >= 1"
    [[ -f "$out/$name.h5" ]] || fail_logs "(b) no $out/$name.h5"
    grep -q "attempt 2" "$out"/logs/*.out || fail_logs "(b) the log shows no second attempt"
    wait "$local_pid" || { cat "$tmp/local-b.log" >&2; fail "(b) sweep.py --local failed"; }
    local_pid=""
    phase "(b) uninterrupted --local run done"
    got=$(preq "$out/$name.h5") || fail "(b) mdlbench report failed on the requeued result"
    want=$(preq "$tmp/out-b-local/$name.h5") \
        || fail "(b) mdlbench report failed on the local result"
    echo "(b) preq_bits final_bits: requeued $got, uninterrupted $want"
    [[ "$got" == "$want" ]] \
        || fail "(b) the requeued run's code length differs from the uninterrupted one"
fi

awk -v a="$t_start" -v b="$(now)" 'BEGIN { printf "PASS test_slurm (%.1f s)\n", b - a }'
