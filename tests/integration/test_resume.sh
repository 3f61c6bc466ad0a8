#!/usr/bin/env bash
# Checkpoints and preemption: a run preempted by SIGTERM (or SIGUSR1) writes a
# checkpoint and exits 75; the same command with --resume auto continues it, and the
# results equal an uninterrupted run's bit for bit (curve, per-document bits, passes,
# code lengths). A truncated or damaged checkpoint, or one of another configuration, is
# refused with a clear error and nothing is overwritten. checkpoint_every/keep and
# init-weights write what they say.
set -eu
. "$(dirname "$0")/common.sh"
size=150000
[ "${MDL_SANITIZE:-OFF}" = ON ] && size=50000 # the sanitizers run it ~10x slower
cat /usr/share/common-licenses/* | head -c $size >corpus.txt
args=(--corpus corpus.txt --set model.n_layer=1 --set model.d_model=32 --set model.n_head=2
    --set model.context=64 --set train.segment=32 --set train.passes=2
    --set model.ngram_buckets=2048 --threads 1 -q) # a small n-gram table: small checkpoints

command -v h5dump >/dev/null || { echo "SKIP: h5dump (hdf5-tools) not installed"; exit 77; }
"$MDLBENCH" train "${args[@]}" -o full.h5 >/dev/null
steps=$($py -c "import h5py; print(int(h5py.File('full.h5')['summary'].attrs['steps']))")

rows() { # curve rows on disk in a .partial
    h5dump -H -d /curve/bits "$1" 2>/dev/null |
        sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p'
}

# compare the code lengths and tables of two results files, bit for bit
same() { $py "$MDL_SOURCE_DIR/tests/integration/same_results.py" "$1" "$2"; }

# wait until the .partial of $1 has curve rows on disk, then send signal $2 to $pid
stop_midway() {
    for _ in $(seq 200); do
        [ -f "$1.partial" ] && [ "$(stat -c %s "$1.partial")" -gt 12000 ] && break
        sleep 0.05
    done
    kill "-$2" "$pid"
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 75 ] || { echo "FAIL: exit code $rc after SIG$2, expected 75"; cat err; exit 1; }
    grep -q "preempted by signal" err || { echo "FAIL: no preemption message"; cat err; exit 1; }
}

# 1. preempted in the first (prequential) pass by SIGTERM, resumed
"$MDLBENCH" train "${args[@]}" --set run.flush_seconds=0.05 -o a.h5 2>err &
pid=$!
stop_midway a.h5 TERM
[ ! -e a.h5 ] && [ -f a.h5.partial ] || { echo "FAIL: expected only a.h5.partial"; exit 1; }
ls a.h5.ckpt/step-*.ckpt >/dev/null
echo "preempted: $(cat err)"
"$MDLBENCH" train "${args[@]}" -o a.h5 --resume auto >/dev/null
same full.h5 a.h5

# 2. SIGUSR1 once the first pass is over (in the second pass): resumed from the directory
"$MDLBENCH" train "${args[@]}" --set run.flush_seconds=0.05 -o b.h5 2>err &
pid=$!
for _ in $(seq 600); do
    [ "$(rows b.h5.partial)" = "$steps" ] && break
    sleep 0.05
done
stop_midway b.h5 USR1
grep -q "(pass 2," err || { echo "FAIL: not stopped in the second pass: $(cat err)"; exit 1; }
echo "preempted: $(cat err)"
"$MDLBENCH" train "${args[@]}" -o b.h5 --resume b.h5.ckpt >/dev/null
same full.h5 b.h5

# 3. with segment memory (checkpoints carry the memory rows): preempted, resumed, identical
mem=(--corpus corpus.txt --set model.n_layer=2 --set model.d_model=32 --set model.n_head=2
    --set model.position=rope --set model.context=32 --set train.segment=32
    --set model.memory=48 --set train.streams=2 --set model.ngram_buckets=2048 --threads 1 -q)
"$MDLBENCH" train "${mem[@]}" -o mfull.h5 >/dev/null
"$MDLBENCH" train "${mem[@]}" --set run.flush_seconds=0.05 -o m.h5 2>err &
pid=$!
stop_midway m.h5 TERM
$py -c "import h5py, sys, glob; f = h5py.File(sorted(glob.glob('m.h5.ckpt/*.ckpt'))[-1]); \
n = len(f['model/memory']); assert n == 2 * 2 * 48 * 96, n; print('checkpoint memory', n)"
"$MDLBENCH" train "${mem[@]}" -o m.h5 --resume auto >/dev/null
same mfull.h5 m.h5
# a memory checkpoint does not resume a run without memory
rc=0
"$MDLBENCH" train "${mem[@]}" --set model.memory=0 --set model.context=64 -o x.h5 \
    --resume m.h5.ckpt >/dev/null 2>err || rc=$?
[ "$rc" -ne 0 ] && [ ! -e x.h5 ] || { echo "FAIL: another memory resumed"; cat err; exit 1; }

# 4. damaged checkpoints are refused and nothing is overwritten
ckpt=$(ls a.h5.ckpt/step-*.ckpt | tail -1)
cp "$ckpt" bad.ckpt
size=$(stat -c %s bad.ckpt)
# flip one byte inside the weights (far from the HDF5 metadata at the start)
$py -c "
import sys
f = open('bad.ckpt', 'r+b'); f.seek($size // 2); b = f.read(1); f.seek($size // 2)
f.write(bytes([b[0] ^ 0x5a])); f.close()"
before=$(sha256sum a.h5)
if "$MDLBENCH" train "${args[@]}" -o a.h5 --resume bad.ckpt 2>err; then
    echo "FAIL: a damaged checkpoint was accepted"; exit 1
fi
grep -q "damaged checkpoint" err || { echo "FAIL: unclear error: $(cat err)"; exit 1; }
[ "$(wc -l <err)" -eq 1 ] || { echo "FAIL: more than one line: $(cat err)"; exit 1; }
[ "$(sha256sum a.h5)" = "$before" ] && [ ! -e a.h5.partial ] || { echo "FAIL: output touched"; exit 1; }
echo "refused: $(cat err)"
# an edited root attribute (step, or one bit of pass_bits) is caught by the checksum too,
# and an array where one number belongs is refused before it is read
for edit in "a['step'] = a['step'] + 1" "a['step'] = np.full(64, a['step'])" \
    "a['pass_bits'] = np.frombuffer((np.float64(a['pass_bits']).view(np.uint64) ^ np.uint64(1)).tobytes())[0]"; do
    cp "$ckpt" edited.ckpt
    $py -c "import h5py, numpy as np; a = h5py.File('edited.ckpt', 'r+').attrs; $edit"
    if "$MDLBENCH" train "${args[@]}" -o c.h5 --resume edited.ckpt 2>err; then
        echo "FAIL: a checkpoint with $edit was accepted"; exit 1
    fi
    grep -q "damaged checkpoint" err && [ "$(wc -l <err)" -eq 1 ] && [ ! -e c.h5.partial ] ||
        { echo "FAIL: $edit: $(cat err)"; exit 1; }
    echo "refused ($edit): $(cat err)"
done
head -c $((size / 3)) "$ckpt" >torn.ckpt
if "$MDLBENCH" train "${args[@]}" -o c.h5 --resume torn.ckpt 2>err; then
    echo "FAIL: a truncated checkpoint was accepted"; exit 1
fi
grep -q "not a readable checkpoint" err && [ ! -e c.h5.partial ] || { echo "FAIL: $(cat err)"; exit 1; }
echo "refused: $(cat err)"
if "$MDLBENCH" train "${args[@]}" --set train.lr=0.001 -o c.h5 --resume "$ckpt" 2>err; then
    echo "FAIL: a checkpoint of another configuration was accepted"; exit 1
fi
grep -q "another configuration" err || { echo "FAIL: $(cat err)"; exit 1; }
if "$MDLBENCH" train "${args[@]}" -o c.h5 --resume nowhere.ckpt 2>err; then
    echo "FAIL: a missing checkpoint was accepted"; exit 1
fi
grep -q "No such file" err || { echo "FAIL: $(cat err)"; exit 1; }
echo "refused: $(cat err)"

# 5. checkpoint_every with keep: the newest two remain, the last at the end of training
"$MDLBENCH" train "${args[@]}" --set run.checkpoint_every=100 --set run.checkpoint_keep=2 \
    -o d.h5 --checkpoint-dir dck >/dev/null
n=$(ls dck | wc -l)
[ "$n" -eq 2 ] || { echo "FAIL: $n checkpoints kept, expected 2: $(ls dck)"; exit 1; }
ls dck/step-00002-0000000000.ckpt >/dev/null || { echo "FAIL: no end-of-training checkpoint"; exit 1; }
# resuming from the end of training redoes only the evaluations
"$MDLBENCH" train "${args[@]}" -o e.h5 --resume dck >/dev/null
same full.h5 e.h5
# a damaged newest checkpoint is said, and the one before it is used: the same result
cp -r dck dck2
newest=$(ls dck2/step-*.ckpt | tail -1)
head -c 1000 "$newest" >torn && mv torn "$newest"
"$MDLBENCH" train "${args[@]}" -o f.h5 --resume dck2 >/dev/null 2>err
grep -q "not a readable checkpoint.*resuming from the checkpoint before it" err ||
    { echo "FAIL: no fallback to the older checkpoint: $(cat err)"; exit 1; }
echo "fallback: $(cat err)"
same full.h5 f.h5

# 6. init-weights: the starting weights, as many as the model has
"$MDLBENCH" init-weights --set model.n_layer=1 --set model.d_model=32 --set model.n_head=2 \
    --set model.context=64 -o init.h5 >/dev/null
$py - <<'PY'
import h5py, numpy as np
f = h5py.File("init.h5")
p, sizes = f["model/params"][:], f.attrs["tensor_sizes"]
names = [n if isinstance(n, str) else n.decode() for n in f.attrs["tensor_names"]]
assert p.dtype == np.float32 and len(p) == sizes.sum(), (len(p), sizes.sum())
assert names[0] == "wte" and names[-1] == "headb" and len(names) == 18
off = dict(zip(names, [int(o) for o in np.concatenate([[0], np.cumsum(sizes)[:-1]])]))
head = p[off["headw"]:off["headw"] + int(sizes[names.index("headw")])]
assert np.all(head == 0), "the head starts at zero"
print(f"init-weights: {len(p)} parameters in {len(names)} tensors")
PY
echo "PASS test_resume"
