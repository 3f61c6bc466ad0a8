#!/usr/bin/env bash
# A step of many updates (train.repeats_per_step) is ended by a stop signal between two
# of its updates, however long it is: SIGTERM exits 75 at once with FILE.partial
# (status "preempted") and a message saying no checkpoint holds that step; with an
# earlier checkpoint, --resume auto continues from it and equals the uninterrupted run
# bit for bit. SIGINT likewise ends it with 130. And --resume auto with nothing to resume
# starts afresh.
set -eu
. "$(dirname "$0")/common.sh"
command -v h5dump >/dev/null || { echo "SKIP: h5dump (hdf5-tools) not installed"; exit 77; }
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT # a run still going, too
head -c 96 /usr/share/common-licenses/GPL-3 >corpus.txt # three 32-byte steps
repeats=1500 # about a second per step here
[ "${MDL_SANITIZE:-OFF}" = ON ] && repeats=300 # the sanitizers run it ~10x slower
args=(--corpus corpus.txt --set model.n_layer=1 --set model.d_model=32 --set model.n_head=2
    --set model.context=64 --set train.segment=32 --set model.ngram_buckets=2048
    --set train.passes=1 --threads 1 -q)

# $1 = signal, $2 = expected exit code: stop $pid, which must end within 20 s
stop_and_wait() {
    kill "-$1" "$pid"
    for _ in $(seq 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && { echo "FAIL: still running 20 s after SIG$1"; exit 1; }
    rc=0
    wait "$pid" || rc=$?
    pid=
    [ "$rc" -eq "$2" ] || { echo "FAIL: exit code $rc after SIG$1, expected $2"; cat err; exit 1; }
    [ "$(wc -l <err)" -eq 1 ] || { echo "FAIL: not one line:"; cat err; exit 1; }
}
status() { h5dump -a /status "$1" | sed -n 's/.*(0): "\(.*\)".*/\1/p'; }
wait_for() { for _ in $(seq 600); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }

# 0. --resume auto without a checkpoint directory starts afresh (it once failed with an
#    empty message): the same results as without it
"$MDLBENCH" train "${args[@]}" -o plain.h5 >/dev/null
"$MDLBENCH" train "${args[@]}" -o auto.h5 --resume auto >/dev/null 2>err ||
    { echo "FAIL: --resume auto with no checkpoint directory"; cat err; exit 1; }
$py "$MDL_SOURCE_DIR/tests/integration/same_results.py" plain.h5 auto.h5 >/dev/null
echo "ok   --resume auto with nothing to resume starts afresh"

# $1 = output, $2 = signal, $3 = exit code, $4 = status: a step that would never end,
# stopped by the signal once its .partial is there; one line, the status, no results file
stop_endless() {
    "$MDLBENCH" train "${args[@]}" --set train.repeats_per_step=1000000000 -o "$1" 2>err &
    pid=$!
    wait_for "$1.partial" || { echo "FAIL: no $1.partial"; cat err; exit 1; }
    sleep 1
    stop_and_wait "$2" "$3"
    [ ! -e "$1" ] && [ "$(status "$1.partial")" = "$4" ] ||
        { echo "FAIL: expected $1.partial with status $4"; exit 1; }
}

# 1. SIGTERM stops the endless step; no checkpoint exists yet
stop_endless a.h5 TERM 75 preempted
grep -q "between the updates of a step, before any checkpoint" err ||
    { echo "FAIL: message"; cat err; exit 1; }
echo "ok   endless step stopped: $(cat err)"

# 2. SIGINT ends it the same way, exit 130, status interrupted
stop_endless i.h5 INT 130 interrupted
echo "ok   SIGINT: $(cat err)"

# 3. stopped in the second step's updates: the checkpoint after the first is named, and
#    resuming from it gives the uninterrupted run's results bit for bit
long=(--set train.repeats_per_step=$repeats --set run.checkpoint_every=1)
"$MDLBENCH" train "${args[@]}" "${long[@]}" -o full.h5 >/dev/null
"$MDLBENCH" train "${args[@]}" "${long[@]}" -o b.h5 2>err &
pid=$!
wait_for b.h5.ckpt/step-00000-0000000001.ckpt || { echo "FAIL: no checkpoint"; ls; exit 1; }
sleep 0.2
stop_and_wait TERM 75
grep -q "between the updates of a step, which no checkpoint holds: the last one is .*step-00000-0000000001.ckpt (pass 1, step 1)" err ||
    { echo "FAIL: message"; cat err; exit 1; }
"$MDLBENCH" train "${args[@]}" "${long[@]}" -o b.h5 --resume auto >/dev/null
$py "$MDL_SOURCE_DIR/tests/integration/same_results.py" full.h5 b.h5
echo "ok   resumed from the step before: $(cat err)"
