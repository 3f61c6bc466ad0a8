#!/usr/bin/env bash
# scripts/paper/blockwise.py on a known-entropy source (i.i.d. uniform over 4 byte values,
# H = 2 bits per byte): the block ends are floor(p N / 100), block 1 costs exactly 8 bits
# per byte, every later block's bits are the held-out bits of its results file after the
# pass with the fewest bits on the split, the total is their sum, and the code converges
# to the entropy rate like the online one (last block and last online steps under 2.3
# bits per byte). Rerunning reuses every block. Bad --blocks are refused in one line.
set -eu
. "$(dirname "$0")/common.sh"
n=16000
[ "${MDL_SANITIZE:-OFF}" = ON ] && n=8000 # the sanitizers run it ~10x slower
$py -c "
import random, sys
r = random.Random(7)
sys.stdout.buffer.write(bytes(r.choice(b'acgt') for _ in range($n)))" >source.bin
bw=("$py" "$MDL_SOURCE_DIR/scripts/paper/blockwise.py" --mdlbench "$MDLBENCH" --corpus source.bin
    --set model.n_layer=1 --set model.d_model=32 --set model.n_head=2 --set model.d_ff=64
    --set model.context=64 --set train.segment=32 --set model.ngram_buckets=1024 --passes 3
    --threads 1 -o out)
"${bw[@]}" >table 2>err || { echo "FAIL: blockwise.py"; cat err; exit 1; }
cat table

$py - $n <<'PY'
import json, math, sys, h5py
n = int(sys.argv[1])
j = json.load(open("out/blockwise.json"))
rows, s = j["rows"], j["summary"]
ps = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.25, 12.5, 25, 50, 100)
ends = sorted({math.floor(p * n / 100) for p in ps} - {0})
assert [r["end"] for r in rows] == ends, [r["end"] for r in rows]
assert [r["start"] for r in rows] == [0] + ends[:-1]
assert rows[0]["bits"] == 8.0 * ends[0] and rows[0]["bpb"] == 8.0, rows[0]
for i, r in enumerate(rows[1:], 1):
    split = h5py.File(f"out/block-{i}/split.h5")["passes/heldout_bits"][:]
    block = h5py.File(f"out/block-{i}/block.h5")["passes/heldout_bits"][:]
    best = min(range(len(split)), key=lambda e: (split[e], e))
    assert r["pass"] == best + 1 and r["bits"] == block[best], (i, r, list(split))
    assert h5py.File(f"out/block-{i}/block.h5")["summary"].attrs["heldout_bytes"] == r["bytes"]
assert s["blockwise_bits"] == sum(r["bits"] for r in rows), s
online = h5py.File("out/online.h5")
assert s["online_bits"] == online["summary"].attrs["preq_bits"]
bits, size = online["curve/bits"][-50:], online["curve/bytes"][-50:]
tail = bits.sum() / size.sum()
last = rows[-1]["bpb"]
assert last < 2.3 and tail < 2.3, (last, tail)
print(f"ok   {len(rows)} blocks; last block {last:.4f} bits/byte, online tail {tail:.4f}, "
      f"H = 2; block-wise {s['blockwise_bpb']:.4f}, online {s['online_bpb']:.4f} bits/byte")
PY

before=$(find out -name '*.h5' -newer out/blockwise.json | wc -l)
cp out/blockwise.json first.json
"${bw[@]}" >/dev/null 2>&1
[ "$(find out -name '*.h5' -newer first.json | wc -l)" -eq "$before" ] &&
    cmp -s <($py -c "import json; print(json.load(open('first.json'))['rows'])") \
        <($py -c "import json; print(json.load(open('out/blockwise.json'))['rows'])") ||
    { echo "FAIL: the rerun did not reuse the blocks"; exit 1; }
echo "ok   rerun reused every block"

if "${bw[@]}" --blocks 10,5,100 2>err; then echo "FAIL: decreasing --blocks accepted"; exit 1; fi
grep -q "blocks: the values must increase" err || { echo "FAIL: message"; cat err; exit 1; }
echo "ok   refused: $(tail -1 err)"
