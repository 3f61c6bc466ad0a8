#!/usr/bin/env bash
# scripts/attribute.py, the counterfactual memorisation of one work: the table's numbers are
# the results files' (L(w | without) minus the mean of the copies' final bits, exactly), every
# format parses, the run without w trains exactly as a run on the corpus without w (curve bit
# for bit), the copies are trained on, memorised bits are positive and do not decrease from
# 1 to 8 copies (this toy setup, seed 1234), the per-pass memorised bits are the per-pass
# document table's, scripts/paper/memorization_table.py copies them, and a bad --work is one
# line and exit 1.
set -eu
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/c"
for f in GPL-3 Apache-2.0 Artistic; do head -c 6000 "/usr/share/common-licenses/$f" >"$tmp/c/$f.txt"; done
head -c 1500 /usr/share/common-licenses/BSD >"$tmp/c/w.txt"
small=(--set model.n_layer=1 --set model.d_model=32 --set model.n_head=2 --set model.d_ff=64
       --set model.ngram_buckets=512 --set train.passes=3)
"$py" "$here/../../scripts/attribute.py" --binary "$MDLBENCH" --corpus "$tmp/c" --work w.txt \
    --copies 1,2,4,8 "${small[@]}" --threads 1 -o "$tmp/out" >"$tmp/stdout"
mkdir "$tmp/others"
for f in "$tmp"/c/*; do [ "$(basename "$f")" = w.txt ] || cp "$f" "$tmp/others/"; done
"$MDLBENCH" train --corpus "$tmp/others" "${small[@]}" --threads 1 -q -o "$tmp/others.h5" >/dev/null
grep -q "^work w.txt: L(w | theta_without)" "$tmp/stdout"
"$py" - "$tmp/out" <<'PY'
import csv, json, os, sys
import h5py
out = sys.argv[1]
rows = json.load(open(f"{out}/summary.json"))["rows"]
assert [r["copies"] for r in rows] == [1, 2, 4, 8], rows
import numpy as np
with h5py.File(f"{out}/without.h5") as a, h5py.File(f"{out}/../others.h5") as b:
    ca, cb = a["curve/bits"][()], b["curve/bits"][()]
    assert ca.shape == cb.shape and (ca.view(np.uint64) == cb.view(np.uint64)).all(), \
        "the run without w differs from a run on the corpus without w"
mem = [r["memorised_bits"] for r in rows]
assert all(x <= y for x, y in zip(mem, mem[1:])), mem
def docs(path):
    with h5py.File(path) as f:
        d = f["documents"]
        return {os.path.basename(n): (float(q), int(h)) for n, q, h in
                zip(d["name"].asstr()[()], d["final_bits"][()], d["held_out"][()])}
ref = docs(f"{out}/without.h5")["w.txt.copy1"]
assert ref[1] == 1, "the work is held out in the reference run"
for r in rows:
    got = docs(r["results"])
    copies = [got[f"w.txt.copy{j + 1}"] for j in range(r["copies"])]
    assert all(h == 0 for _, h in copies), "the copies are trained on"
    mean = sum(q for q, _ in copies) / len(copies)
    assert r["without_bits"] == ref[0] and r["with_bits"] == mean, (r, ref, mean)
    assert r["memorised_bits"] == ref[0] - mean and r["memorised_bits"] > 0, r
    assert r["memorised_bpb"] == r["memorised_bits"] / r["bytes"], r
    assert r["bytes"] == os.path.getsize(f"{out}/../c/w.txt"), r
table = list(csv.reader(open(f"{out}/summary.csv", newline="")))
assert len(table) == 5 and float(table[2][5]) == rows[1]["memorised_bits"], table
md = [l for l in open(f"{out}/summary.md") if l.startswith("|")]
assert len(md) == 12, md  # the table, then the per-pass one: header, rule, four rows each
# per pass: w's column of /passes/document_bits, without minus the copies' mean
def pass_bits(path, prefix):
    with h5py.File(path) as f:
        names = [os.path.basename(n) for n in f["documents/name"].asstr()[()]]
        t = f["passes/document_bits"][()]
        return [t[:, i] for i, n in enumerate(names) if n.startswith(prefix)]
w_without = pass_bits(f"{out}/without.h5", "w.txt")[0]
for r in rows:
    cols = pass_bits(r["results"], "w.txt")
    want = [w_without[e] - sum(c[e] for c in cols) / len(cols) for e in range(3)]
    assert r["memorised_bits_per_pass"] == want, (r["memorised_bits_per_pass"], want)
    assert r["memorised_bits_per_pass"][-1] == r["memorised_bits"], r
assert json.load(open(f"{out}/summary.json"))["rows"][0]["extract_rate"] is None
assert os.path.getsize(f"{out}/memorised.png") > 1000
print("attribute ok: memorised bits", [round(r["memorised_bits"], 1) for r in rows])
PY
# scripts/paper/memorization_table.py: one row per SETTING/WORK, the 1-copy row's numbers
mkdir -p "$tmp/tab/small"
ln -s "$tmp/out" "$tmp/tab/small/w"
"$py" "$here/../../scripts/paper/memorization_table.py" "$tmp/tab" >"$tmp/table.md"
"$py" - "$tmp/out/summary.json" "$tmp/table.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["rows"][0]
lines = open(sys.argv[2]).read().splitlines()
assert len(lines) == 3, lines  # header, rule, one row
cells = [c.strip() for c in lines[2].strip("|").split("|")]
want = ["small", "w.txt", str(r["bytes"]), f"{r['without_bits']:.1f}", f"{r['with_bits']:.1f}",
        f"{r['memorised_bits']:.1f}", f"{r['memorised_bpb']:.4f}", f"{r['first_copy_preq_bits']:.1f}",
        f"{r['without_gap_bpb']:.4f}", ", ".join(f"{v:.0f}" for v in r["memorised_bits_per_pass"])]
assert cells == want, (cells, want)
PY
if "$py" "$here/../../scripts/paper/memorization_table.py" "$tmp/nope" 2>"$tmp/err"; then
    echo "FAIL: a missing directory was accepted"; exit 1
fi
[ "$(wc -l <"$tmp/err")" -eq 1 ]
if "$py" "$here/../../scripts/attribute.py" --binary "$MDLBENCH" --corpus "$tmp/c" --work nope.txt \
    -o "$tmp/bad" 2>"$tmp/err"; then
    echo "FAIL: a missing work was accepted"; exit 1
fi
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^attribute.py: --work nope.txt: not a document" "$tmp/err"
